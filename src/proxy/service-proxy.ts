// The service proxy runner (kube-proxy's role, one per node): watches Services and
// EndpointSlices, keeps every ClusterIP on the proxy's own host interface, a listener on each
// ClusterIP:port and on each node address at each NodePort, and the routing table in step.
// Event handlers only enqueue the service's key; one worker syncs a service at a time, from
// the caches, so what the proxy does converges on the API however events arrive (and after the
// informers re-list across an API server restart).
import type { EndpointSlice } from "../apis/discovery/endpointslice.ts";
import type { Service } from "../apis/index.ts";
import { type ListWatchSource, type Lister, objectKey, SharedInformerFactory, splitKey, WorkQueue } from "../client/index.ts";
import { Forwarder, type ListenAddress } from "./forwarder.ts";
import type { Endpoint, RouteTable } from "./route-table.ts";
import { linkServiceAddresses, type ServiceAddresses } from "./service-interface.ts";
import { clusterIPv4, type ServiceRoute, serviceRoutes, sliceServiceKey } from "./service-routes.ts";
import { createWasmRouteTable } from "./wasm-route-table.ts";

export interface ServiceProxyOptions {
  /** Where the informers list and watch: a KubeClient. */
  client: ListWatchSource;
  /** Share these informers (the cluster DNS reads the same caches); default: the proxy's own. */
  informers?: SharedInformerFactory;
  /** The node's addresses: NodePorts are served on each of them and on 127.0.0.1. */
  nodeIPs: readonly string[];
  /** The host interface holding ClusterIPs (default kubun-svc0); one per proxy on a host. */
  interfaceName?: string;
  /** The interface itself (tests inject a fake); default: `ip link` on interfaceName. */
  addresses?: ServiceAddresses;
  table?: RouteTable;
  forwarder?: Forwarder;
  /** Addresses kept on the interface for listeners of others: the cluster DNS IP. */
  extraAddresses?: readonly string[];
  /** Addresses and ports another server listens on (the cluster DNS): never forwarded. */
  reserved?: readonly ListenAddress[];
  /**
   * Asked before a client is connected to the endpoint picked for it; false refuses the
   * connection. The agent's NetworkPolicy controller answers it: a proxied connection reaches the
   * pod from this node's address, so the policies of client and endpoint are checked here.
   */
  allowConnection?: (clientIP: string, endpoint: Endpoint, protocol: string) => boolean;
  log?: (msg: string) => void;
}

export interface RunningServiceProxy {
  interfaceName: string;
  services: Lister<Service>;
  endpointSlices: Lister<EndpointSlice>;
  forwarder: Forwarder;
  /** Resolves true once both caches have synced (false if the proxy stopped first). */
  synced(): Promise<boolean>;
  /** Closes every listener (resetting connections) and deletes the interface. */
  stop(): Promise<void>;
}

const listenKey = (a: ListenAddress) => `${a.protocol}|${a.hostname}|${a.port}`;

interface Applied {
  routes: ServiceRoute[];
  clusterIP?: string;
}

export async function startServiceProxy(opts: ServiceProxyOptions): Promise<RunningServiceProxy> {
  const log = opts.log ?? ((m: string) => console.warn(`proxy: ${m}`));
  const addresses = opts.addresses ?? linkServiceAddresses(opts.interfaceName);
  const table = opts.table ?? createWasmRouteTable();
  const forwarder = opts.forwarder ?? new Forwarder();
  const ownInformers = !opts.informers;
  const informers = opts.informers ?? new SharedInformerFactory(opts.client, { onError: (e) => log(`watch: ${e}`) });
  const services = informers.informerFor<Service>("Service");
  const slices = informers.informerFor<EndpointSlice>("EndpointSlice");
  const reserved = new Set((opts.reserved ?? []).map(listenKey));

  const applied = new Map<string, Applied>();
  /** Which route each listener serves, so a service never closes another's listener. */
  const listenerOwner = new Map<string, string>();
  /** Which service each ClusterIP on the interface belongs to. */
  const ipOwner = new Map<string, string>();

  await addresses.create();
  for (const ip of opts.extraAddresses ?? []) await addresses.add(ip);

  const allow = opts.allowConnection;
  const routeOf = (key: string, protocol: string) => (clientIP: string) => {
    const ep = table.pick(key, clientIP, performance.now());
    return ep && (!allow || allow(clientIP, ep, protocol)) ? ep : undefined;
  };

  async function sync(serviceKey: string): Promise<void> {
    const { namespace = "", name } = splitKey(serviceKey);
    const svc = services.lister.get(namespace, name);
    const own = svc ? slices.lister.list(namespace, (s) => sliceServiceKey(s) === serviceKey) : [];
    const routes = svc
      ? serviceRoutes(svc, own, opts.nodeIPs).map((r) => ({ ...r, listen: r.listen.filter((a) => !reserved.has(listenKey(a))) }))
      : [];
    const clusterIP = routes.length ? clusterIPv4(svc) : undefined;
    const old = applied.get(serviceKey) ?? { routes: [] };
    // Recorded first: a failure below requeues the key, and the retry works from the new state.
    if (routes.length) applied.set(serviceKey, { routes, clusterIP });
    else applied.delete(serviceKey);

    const errors: unknown[] = [];
    if (clusterIP && ipOwner.get(clusterIP) !== serviceKey) {
      await addresses.add(clusterIP);
      ipOwner.set(clusterIP, serviceKey);
    }
    const wanted = new Set<string>();
    for (const r of routes) {
      // Endpoints first: a listener that opens must already route to them.
      table.setEndpoints(r.key, r.endpoints);
      table.setAffinity(r.key, r.affinity);
      for (const a of r.listen) {
        wanted.add(listenKey(a));
        try {
          await forwarder.listen(a, routeOf(r.key, a.protocol));
          listenerOwner.set(listenKey(a), r.key);
        } catch (err) {
          errors.push(new Error(`listen ${a.protocol} ${a.hostname}:${a.port} for ${r.key}: ${(err as Error).message}`));
        }
      }
    }
    const keep = new Set(routes.map((r) => r.key));
    for (const r of old.routes) {
      for (const a of r.listen) {
        const k = listenKey(a);
        if (wanted.has(k) || listenerOwner.get(k) !== r.key) continue;
        // Stops accepting; established connections drain on the endpoints they have.
        forwarder.close(a);
        listenerOwner.delete(k);
      }
      if (!keep.has(r.key)) table.removeService(r.key);
    }
    if (old.clusterIP && old.clusterIP !== clusterIP && ipOwner.get(old.clusterIP) === serviceKey) {
      ipOwner.delete(old.clusterIP);
      if (!(opts.extraAddresses ?? []).includes(old.clusterIP)) await addresses.remove(old.clusterIP);
    }
    if (errors.length) throw errors[0];
  }

  const queue = new WorkQueue<string>();
  const enqueue = (key: string | undefined) => key && queue.add(key);
  services.addEventHandler({
    onAdd: (s) => enqueue(objectKey(s.metadata)),
    onUpdate: (_o, s) => enqueue(objectKey(s.metadata)),
    onDelete: (s) => enqueue(objectKey(s.metadata)),
  });
  slices.addEventHandler({
    onAdd: (s) => enqueue(sliceServiceKey(s)),
    // A slice relabelled to another service changes both.
    onUpdate: (o, s) => {
      enqueue(sliceServiceKey(o));
      enqueue(sliceServiceKey(s));
    },
    onDelete: (s) => enqueue(sliceServiceKey(s)),
  });
  services.start();
  slices.start();
  const stopping = new AbortController();
  const synced = Promise.all([services.waitForSync(stopping.signal), slices.waitForSync(stopping.signal)]).then((r) => r.every(Boolean));
  // Nothing is synced before both caches are full: a service seen before its slices would
  // briefly refuse connections it has endpoints for.
  const workers = synced.then((ok) => (ok ? queue.runWorkers(1, sync, { onError: (key, err) => log(`sync ${key}: ${(err as Error).message}`) }) : undefined));

  return {
    interfaceName: addresses.name,
    services: services.lister,
    endpointSlices: slices.lister,
    forwarder,
    synced: () => synced,
    async stop() {
      stopping.abort();
      queue.shutDown();
      if (ownInformers) await informers.stop();
      await workers;
      forwarder.closeAll();
      await addresses.destroy();
    },
  };
}
