// What every node runs for Services, as `kubun agent` starts it: the service proxy and the
// cluster DNS on one pair of informers. The DNS listens on the cluster DNS IP (kept on the
// proxy's interface), so pods whose resolv.conf names it reach this node's DNS through their
// bridge gateway, the same way they reach any ClusterIP; the proxy leaves that address's
// port 53 to it even when a kube-dns Service claims the IP.
import { SharedInformerFactory, type ListWatchSource } from "../client/index.ts";
import { DEFAULT_CLUSTER_DNS_IP, hostUpstream, listerDirectory, startClusterDNS, type Upstream } from "../dns/index.ts";
import { startServiceProxy, type ServiceProxyOptions } from "./service-proxy.ts";

export interface NodeProxyOptions {
  client: ListWatchSource;
  nodeIPs: readonly string[];
  /** The proxy's host interface (default kubun-svc0). */
  interfaceName?: string;
  /** The address the cluster DNS serves on (default 10.43.0.10). */
  clusterDNS?: string;
  clusterDomain?: string;
  /** Where non-cluster names go; default: the first nameserver of /etc/resolv.conf. null: nowhere. */
  upstream?: Upstream | null;
  /** Passed to the service proxy: the NetworkPolicy check of each proxied connection. */
  allowConnection?: ServiceProxyOptions["allowConnection"];
  log?: (msg: string) => void;
}

export interface RunningNodeProxy {
  interfaceName: string;
  clusterDNS: string;
  /** False when the DNS address was taken (by another node's DNS in this network namespace). */
  dnsRunning: boolean;
  synced(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startNodeProxy(opts: NodeProxyOptions): Promise<RunningNodeProxy> {
  const log = opts.log ?? ((m: string) => console.warn(`proxy: ${m}`));
  const dnsIP = opts.clusterDNS ?? DEFAULT_CLUSTER_DNS_IP;
  const informers = new SharedInformerFactory(opts.client, { onError: (e) => log(`watch: ${e}`) });
  const proxy = await startServiceProxy({
    client: opts.client,
    informers,
    nodeIPs: opts.nodeIPs,
    interfaceName: opts.interfaceName,
    extraAddresses: [dnsIP],
    reserved: [
      { protocol: "UDP", hostname: dnsIP, port: 53 },
      { protocol: "TCP", hostname: dnsIP, port: 53 },
    ],
    allowConnection: opts.allowConnection,
    log,
  });
  // Another node's DNS on this network namespace (agents sharing a host in tests) holds the
  // address: this node still proxies, and its pods reach that DNS at the same IP.
  const dns = await startClusterDNS({
    directory: listerDirectory(proxy.services, proxy.endpointSlices),
    hostname: dnsIP,
    port: 53,
    domain: opts.clusterDomain,
    upstream: opts.upstream === null ? undefined : (opts.upstream ?? hostUpstream([dnsIP])),
  }).catch((err: Error) => void log(`cluster DNS not started on ${dnsIP}:53: ${err.message}`));
  return {
    interfaceName: proxy.interfaceName,
    clusterDNS: dnsIP,
    dnsRunning: dns !== undefined,
    synced: () => proxy.synced(),
    async stop() {
      dns?.stop();
      await proxy.stop();
      await informers.stop();
    },
  };
}
