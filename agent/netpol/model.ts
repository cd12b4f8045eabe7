// What the NetworkPolicies of the cluster allow, per pod: the pure half of the agent's policy
// controller (after kube-router's network policy controller, which k3s embeds). For each pod a
// policy selects, compile() lists what its ingress and egress may match; a direction no policy
// selects the pod for stays open (undefined), one that some policy does select is closed except
// for what the rules allow (upstream's "isolation"). The same compiled allows are rendered into
// iptables/ipset rules for this node's pods (rules.ts) and asked by the service proxy for each
// connection it forwards (allows()), so both paths decide alike.
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, PolicyProtocol } from "../../src/apis/networking/networkpolicy.ts";
import type { Namespace, Pod } from "../../src/apis/index.ts";
import { selectorMatches } from "../../src/apis/selector.ts";
import { parseCIDR } from "../../src/apis/networking/networkpolicy.ts";
import { compareStrings } from "../../src/apis/compare.ts";

/** Who is on the other side of an allow. */
export type Peer =
  | { kind: "any" }
  /** Pod IPs chosen by pod/namespace selectors. */
  | { kind: "ips"; ips: string[] }
  | { kind: "block"; cidr: string; except: string[] };

export interface Allow {
  peer: Peer;
  /** Absent: every protocol and port. */
  protocol?: PolicyProtocol;
  /** An inclusive range; absent: every port of `protocol`. */
  ports?: [number, number];
}

export interface PodPolicy {
  uid: string;
  /** namespace/name, for logs. */
  key: string;
  ip: string;
  /** Undefined: no policy isolates the pod's ingress (all allowed). */
  ingress?: Allow[];
  egress?: Allow[];
}

/** A pod as policies see it: where it is, its labels and its named ports. */
export interface PolicyPod {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  labels: Record<string, string>;
  ports: { name: string; port: number; protocol: string }[];
}

/**
 * The cluster DNS as a peer. kubun serves it from every agent rather than from CoreDNS pods, so
 * it stands in for them: a "pod" of kube-system labelled k8s-app=kube-dns with CoreDNS's named
 * ports. An egress rule that would reach CoreDNS upstream (the usual "allow DNS" policy) reaches it.
 */
export function clusterDNSPeer(ip: string): PolicyPod {
  return {
    uid: "cluster-dns",
    namespace: "kube-system",
    name: "cluster-dns",
    ip,
    labels: { "k8s-app": "kube-dns" },
    ports: [
      { name: "dns", port: 53, protocol: "UDP" },
      { name: "dns-tcp", port: 53, protocol: "TCP" },
    ],
  };
}

/** Pods that take part: those with an IP of their own on the pod network, not finished. */
export function policyPod(pod: Pod): PolicyPod | undefined {
  const ip = pod.status?.podIP;
  if (!ip || ip.includes(":") || pod.spec?.hostNetwork) return undefined;
  if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return undefined;
  const ports = (pod.spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? []).filter((p) => p.name).map((p) => ({ name: p.name!, port: p.containerPort, protocol: p.protocol ?? "TCP" })),
  );
  return { uid: pod.metadata.uid ?? "", namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name ?? "", ip, labels: pod.metadata.labels ?? {}, ports };
}

export interface PolicyState {
  policies: NetworkPolicy[];
  /** Every pod of the cluster that takes part (policyPod), the cluster DNS peer included. */
  pods: PolicyPod[];
  namespaces: Namespace[];
}

const types = (np: NetworkPolicy) => np.spec.policyTypes ?? (np.spec.egress?.length ? ["Ingress", "Egress"] : ["Ingress"]);

function namespaceLabels(state: PolicyState): Map<string, Record<string, string>> {
  return new Map(state.namespaces.map((ns) => [ns.metadata.name ?? "", ns.metadata.labels ?? {}]));
}

/** The pods a selector-peer picks (podSelector and/or namespaceSelector), relative to the policy's namespace. */
function peerPods(peer: NetworkPolicyPeer, policyNamespace: string, state: PolicyState, nsLabels: Map<string, Record<string, string>>): PolicyPod[] {
  return state.pods.filter((p) => {
    if (peer.namespaceSelector) {
      if (!selectorMatches(peer.namespaceSelector, nsLabels.get(p.namespace) ?? { "kubernetes.io/metadata.name": p.namespace })) return false;
    } else if (p.namespace !== policyNamespace) return false;
    return peer.podSelector ? selectorMatches(peer.podSelector, p.labels) : true;
  });
}

/** A port entry's number for a pod: numeric as is, named through the pod's container ports. */
function resolvePort(port: NetworkPolicyPort, pod: PolicyPod | undefined): number | undefined {
  if (typeof port.port === "number") return port.port;
  const protocol = port.protocol ?? "TCP";
  return pod?.ports.find((p) => p.name === port.port && p.protocol === protocol)?.port;
}

const ipsPeer = (pods: PolicyPod[]): Peer => ({ kind: "ips", ips: [...new Set(pods.map((p) => p.ip))].sort() });

/**
 * One rule's allows. `self` is the pod the policy protects: named ports of an ingress rule are
 * its own; those of an egress rule are the peer pods', so peers are grouped by what the name
 * resolves to (kube-router does the same with one ipset per named-port number).
 */
function ruleAllows(
  ports: NetworkPolicyPort[] | undefined,
  peers: NetworkPolicyPeer[] | undefined,
  direction: "ingress" | "egress",
  self: PolicyPod,
  np: NetworkPolicy,
  state: PolicyState,
  nsLabels: Map<string, Record<string, string>>,
): Allow[] {
  const ns = np.metadata.namespace ?? "default";
  const anyPeer = !peers || peers.length === 0;
  const selected = anyPeer ? undefined : peers.filter((p) => !p.ipBlock).flatMap((p) => peerPods(p, ns, state, nsLabels));
  const blocks: Peer[] = anyPeer ? [] : peers.filter((p) => p.ipBlock).map((p) => ({ kind: "block", cidr: p.ipBlock!.cidr, except: p.ipBlock!.except ?? [] }));
  const peerList: Peer[] = anyPeer ? [{ kind: "any" }] : [...(selected!.length ? [ipsPeer(selected!)] : []), ...blocks];
  if (!ports || ports.length === 0) return peerList.map((peer) => ({ peer }));
  const out: Allow[] = [];
  for (const port of ports) {
    const protocol = port.protocol ?? "TCP";
    if (port.port === undefined || port.port === null) {
      for (const peer of peerList) out.push({ peer, protocol });
      continue;
    }
    if (typeof port.port === "number") {
      for (const peer of peerList) out.push({ peer, protocol, ports: [port.port, port.endPort ?? port.port] });
      continue;
    }
    if (direction === "ingress") {
      const n = resolvePort(port, self);
      if (n !== undefined) for (const peer of peerList) out.push({ peer, protocol, ports: [n, n] });
      continue;
    }
    // Egress to a named port: only pods can name ports, so an ipBlock peer matches nothing here.
    const candidates = anyPeer ? state.pods : selected!;
    const byNumber = new Map<number, PolicyPod[]>();
    for (const p of candidates) {
      const n = resolvePort(port, p);
      if (n !== undefined) byNumber.set(n, [...(byNumber.get(n) ?? []), p]);
    }
    for (const [n, pods] of [...byNumber].sort((a, b) => a[0] - b[0])) out.push({ peer: ipsPeer(pods), protocol, ports: [n, n] });
  }
  return out;
}

/** What the policies allow for each of `targets` (pods with no policy at all are left out). */
export function compile(state: PolicyState, targets: PolicyPod[]): PodPolicy[] {
  const nsLabels = namespaceLabels(state);
  const out: PodPolicy[] = [];
  for (const pod of targets) {
    let ingress: Allow[] | undefined;
    let egress: Allow[] | undefined;
    const policies = state.policies
      .filter((np) => (np.metadata.namespace ?? "default") === pod.namespace && selectorMatches(np.spec.podSelector ?? {}, pod.labels))
      .sort((a, b) => compareStrings(a.metadata.name ?? "", b.metadata.name ?? ""));
    for (const np of policies) {
      const t = types(np);
      if (t.includes("Ingress")) {
        ingress ??= [];
        for (const rule of np.spec.ingress ?? []) ingress.push(...ruleAllows(rule.ports, rule.from, "ingress", pod, np, state, nsLabels));
      }
      if (t.includes("Egress")) {
        egress ??= [];
        for (const rule of np.spec.egress ?? []) egress.push(...ruleAllows(rule.ports, rule.to, "egress", pod, np, state, nsLabels));
      }
    }
    if (ingress || egress) out.push({ uid: pod.uid, key: `${pod.namespace}/${pod.name}`, ip: pod.ip, ingress, egress });
  }
  return out;
}

function inCIDR(ip: string, cidr: string): boolean {
  const c = parseCIDR(cidr);
  const a = parseCIDR(`${ip}/32`);
  if (!c || !a || c.family !== 4) return false;
  const shift = BigInt(32 - c.bits);
  return a.addr >> shift === c.addr >> shift;
}

function peerMatches(peer: Peer, ip: string): boolean {
  if (peer.kind === "any") return true;
  if (peer.kind === "ips") return peer.ips.includes(ip);
  return inCIDR(ip, peer.cidr) && !peer.except.some((e) => inCIDR(ip, e));
}

/** Whether a list of allows (one direction of a pod; undefined: not isolated) lets this traffic through. */
export function allows(list: Allow[] | undefined, peerIP: string, protocol: string, port: number): boolean {
  if (!list) return true;
  return list.some((a) => peerMatches(a.peer, peerIP) && (!a.protocol || a.protocol === protocol) && (!a.ports || (port >= a.ports[0] && port <= a.ports[1])));
}
