// The agent's NetworkPolicy controller (k3s embeds kube-router's for the same job): informers on
// every NetworkPolicy, Pod, Namespace and Node of the cluster; any change enqueues the one key
// "sync", whose worker recompiles the policies (model.ts) for this node's pods, renders them
// (rules.ts) and applies them (iptables.ts). A failed apply is retried with back-off. The whole
// ruleset is rebuilt each time: policies are few and a rebuild is one iptables-restore.
//
// The compiled allows of every pod of the cluster are also kept for allowsConnection(), which
// the service proxy asks before it connects a client to an endpoint: a proxied connection
// reaches the pod from a node address (the proxy is a process, not a DNAT), so that is where the
// client's egress and the endpoint's ingress are checked for Service traffic.
import type { Namespace, Node, Pod } from "../../src/apis/index.ts";
import type { NetworkPolicy } from "../../src/apis/networking/networkpolicy.ts";
import { SharedInformerFactory, WorkQueue, type EventHandler, type ListWatchSource } from "../../src/client/index.ts";
import { ensureBridgeNetfilter, iptablesBackend, type PolicyBackend } from "./iptables.ts";
import { allows, clusterDNSPeer, compile, policyPod, type PodPolicy, type PolicyPod } from "./model.ts";
import { agentId, names, render } from "./rules.ts";

export interface NetworkPolicyControllerOptions {
  client: ListWatchSource;
  nodeName: string;
  /** Gives the agent's chains and sets their names (one agent per data dir). */
  dataDir: string;
  clusterDNS?: string;
  /** Default: iptables and ipset in this network namespace. */
  backend?: PolicyBackend;
  /** How often the whole ruleset is applied again even when nothing changed (default 5 min). */
  resyncMs?: number;
  log?: (msg: string) => void;
}

export interface RunningNetworkPolicyController {
  /** Whether policies let `clientIP` open a connection to `ip`:`port` (what the service proxy asks). */
  allowsConnection(clientIP: string, ip: string, port: number, protocol: string): boolean;
  /** Resolves once the first ruleset is in place. */
  synced(): Promise<void>;
  /** Stops watching; `remove` also takes every chain and set out (uninstall, tests). */
  stop(opts?: { remove?: boolean }): Promise<void>;
}

export async function startNetworkPolicyController(opts: NetworkPolicyControllerOptions): Promise<RunningNetworkPolicyController> {
  const log = opts.log ?? ((m: string) => console.warn(`netpol: ${m}`));
  const n = names(agentId(opts.dataDir));
  const backend = opts.backend ?? iptablesBackend(n);
  if (!opts.backend) await ensureBridgeNetfilter(log);
  const informers = new SharedInformerFactory(opts.client, { onError: (e) => log(`watch: ${e}`) });
  const policies = informers.informerFor<NetworkPolicy>("NetworkPolicy");
  const pods = informers.informerFor<Pod>("Pod");
  const namespaces = informers.informerFor<Namespace>("Namespace");
  const nodes = informers.informerFor<Node>("Node");
  const queue = new WorkQueue<string>();
  const enqueue: EventHandler<never> = { onAdd: () => queue.add("sync"), onUpdate: () => queue.add("sync"), onDelete: () => queue.add("sync") };
  for (const i of [policies, pods, namespaces, nodes]) i.addEventHandler(enqueue as EventHandler<never>);

  let byIP = new Map<string, PodPolicy>();
  let lastApplied = "";
  let firstSync!: () => void;
  const synced = new Promise<void>((r) => (firstSync = r));

  async function sync(): Promise<void> {
    const all = pods.lister.list().map(policyPod).filter((p): p is PolicyPod => p !== undefined);
    const peers = opts.clusterDNS ? [...all, clusterDNSPeer(opts.clusterDNS)] : all;
    const state = { policies: policies.lister.list(), pods: peers, namespaces: namespaces.lister.list() };
    const compiled = compile(state, all);
    const localUIDs = new Set(pods.lister.list().filter((p) => p.spec?.nodeName === opts.nodeName).map((p) => p.metadata.uid));
    const nodeList = nodes.lister.list();
    const self = nodeList.find((x) => x.metadata.name === opts.nodeName);
    const rs = render({
      names: n,
      pods: compiled.filter((p) => localUIDs.has(p.uid)),
      nodeIPs: nodeList.flatMap((x) => (x.status?.addresses ?? []).filter((a) => a.type === "InternalIP" && !a.address.includes(":")).map((a) => a.address)),
      clusterDNS: opts.clusterDNS,
      podCIDR: self?.spec?.podCIDR,
      otherPodCIDRs: nodeList.map((x) => x.spec?.podCIDR).filter((c): c is string => !!c && !c.includes(":")),
    });
    // Most events (pod status updates) change nothing here: the same ruleset is not applied again.
    const text = JSON.stringify([rs.sets, [...rs.chains], rs.nat]);
    if (text !== lastApplied) {
      await backend.apply(rs);
      lastApplied = text;
    }
    byIP = new Map(compiled.map((p) => [p.ip, p]));
    firstSync();
  }

  informers.start();
  // Rules someone else removed (an iptables flush) come back within this period, as
  // kube-router's periodic full sync brings them back.
  const resync = setInterval(() => {
    lastApplied = "";
    queue.add("sync");
  }, opts.resyncMs ?? 300_000);
  const workers = informers.waitForSync().then((ok) => {
    if (!ok) return;
    queue.add("sync");
    return queue.runWorkers(1, sync, { onError: (_k, err) => log(`applying policies failed, retrying: ${(err as Error).message}`) });
  });

  return {
    allowsConnection(clientIP, ip, port, protocol) {
      const from = byIP.get(clientIP);
      const to = byIP.get(ip);
      return allows(from?.egress, ip, protocol, port) && allows(to?.ingress, clientIP, protocol, port);
    },
    synced: () => synced,
    async stop(o = {}) {
      clearInterval(resync);
      queue.shutDown();
      await informers.stop();
      await workers;
      if (o.remove) await backend.remove();
    },
  };
}
