// The compiled allows of this node's pods as iptables and ipset input (kube-router's layout):
// one chain per pod and direction, jumped to from the agent's FORWARD chain by pod IP, that
// RETURNs what a rule allows and DROPs the rest; established and related traffic never reaches
// a pod chain. Peers are ipsets: the pod IPs a rule's selectors chose (hash:ip) and one hash:net
// per ipBlock whose `except` ranges are `nomatch` entries (the most specific entry wins).
//
// Set names come from their content, so a set never changes once made: a new peer list is a new
// set, the rules switch to it in one iptables-restore, and the old set is destroyed after. Every
// name carries the agent's id (from its data dir), so agents sharing a network namespace in
// tests keep out of each other's rules.
import { createHash } from "node:crypto";
import type { Allow, Peer, PodPolicy } from "./model.ts";
import { compareStrings } from "../../src/apis/compare.ts";

const hash = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** A short id of this agent for its chain and set names. */
export const agentId = (dataDir: string) => hash(dataDir, 8);

export interface Names {
  forward: string;
  input: string;
  nomasq: string;
  chainPrefix: string;
  setPrefix: string;
}

// iptables chain names may have 28 characters, ipset names 31.
export function names(id: string): Names {
  return { forward: `KUBUN-NP-${id}-FWD`, input: `KUBUN-NP-${id}-IN`, nomasq: `KUBUN-NP-${id}-NOMASQ`, chainPrefix: `KNP-${id}-`, setPrefix: `knp-${id}-` };
}

export interface IpSet {
  name: string;
  type: "hash:ip" | "hash:net";
  entries: string[];
}

export interface RuleSet {
  sets: IpSet[];
  /** Rules of the filter table by chain (every chain of ours, top-level ones included). */
  chains: Map<string, string[]>;
  /** Rules of the nat table's no-masquerade chain. */
  nat: string[];
}

export interface RenderInput {
  names: Names;
  /** This node's pods that some policy selects. */
  pods: PodPolicy[];
  /** Node addresses (every node's InternalIP): their traffic is the kubelet's and the service proxy's. */
  nodeIPs: string[];
  /** The cluster DNS address: pods reach it through the host, so egress is checked on INPUT too. */
  clusterDNS?: string;
  /** This node's podCIDR and every other node's: pod traffic between them keeps its source address. */
  podCIDR?: string;
  otherPodCIDRs: string[];
}

function setFor(peer: Exclude<Peer, { kind: "any" }>, n: Names, sets: Map<string, IpSet>): string {
  const entries = peer.kind === "ips" ? peer.ips.map((ip) => ip) : [peer.cidr, ...peer.except.map((e) => `${e} nomatch`)];
  const type = peer.kind === "ips" ? "hash:ip" : "hash:net";
  const name = `${n.setPrefix}${hash(`${type}|${entries.join(",")}`, 16)}`;
  if (!sets.has(name)) sets.set(name, { name, type, entries });
  return name;
}

function allowRule(a: Allow, dir: "src" | "dst", n: Names, sets: Map<string, IpSet>): string | undefined {
  const parts: string[] = [];
  if (a.peer.kind === "ips" && a.peer.ips.length === 0) return undefined;
  if (a.peer.kind === "block" && a.peer.cidr.includes(":")) return undefined; // an IPv6 block never matches IPv4 pod traffic
  if (a.peer.kind !== "any") parts.push("-m", "set", "--match-set", setFor(a.peer, n, sets), dir);
  if (a.protocol) parts.push("-p", a.protocol.toLowerCase());
  if (a.protocol && a.ports) parts.push("-m", a.protocol.toLowerCase(), "--dport", a.ports[0] === a.ports[1] ? String(a.ports[0]) : `${a.ports[0]}:${a.ports[1]}`);
  parts.push("-j", "RETURN");
  return parts.join(" ");
}

/** The name of one pod's chain for a direction. */
export const podChain = (n: Names, uid: string, dir: "I" | "E") => `${n.chainPrefix}${dir}-${hash(uid, 12)}`;

export function render(input: RenderInput): RuleSet {
  const n = input.names;
  const sets = new Map<string, IpSet>();
  const chains = new Map<string, string[]>();
  const nodesSet = setFor({ kind: "ips", ips: [...new Set(input.nodeIPs)].sort() }, n, sets);
  const established = "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN";
  const forward = [established];
  const inputRules = [established];
  const pods = [...input.pods].sort((a, b) => compareStrings(a.key, b.key));
  for (const pod of pods) {
    if (pod.ingress) {
      const chain = podChain(n, pod.uid, "I");
      // Traffic from a node: kubelet's probes from this one, service connections the proxy of
      // any node forwards (it asks the same policies before it connects: allows()).
      const rules = [`-m set --match-set ${nodesSet} src -j RETURN`];
      for (const a of pod.ingress) {
        const r = allowRule(a, "src", n, sets);
        if (r) rules.push(r);
      }
      rules.push("-j DROP");
      chains.set(chain, rules);
      forward.push(`-d ${pod.ip}/32 -j ${chain}`);
    }
    if (pod.egress) {
      const chain = podChain(n, pod.uid, "E");
      const rules: string[] = [];
      for (const a of pod.egress) {
        const r = allowRule(a, "dst", n, sets);
        if (r) rules.push(r);
      }
      rules.push("-j DROP");
      chains.set(chain, rules);
      forward.push(`-s ${pod.ip}/32 -j ${chain}`);
      if (input.clusterDNS) inputRules.push(`-s ${pod.ip}/32 -d ${input.clusterDNS}/32 -j ${chain}`);
    }
  }
  chains.set(n.forward, forward);
  chains.set(n.input, inputRules);
  const nat = input.podCIDR ? input.otherPodCIDRs.filter((c) => c !== input.podCIDR).sort().map((c) => `-s ${input.podCIDR} -d ${c} -j ACCEPT`) : [];
  return { sets: [...sets.values()].sort((a, b) => compareStrings(a.name, b.name)), chains, nat };
}

/** `ipset restore` input creating the sets that do not exist yet (existing ones are equal by name). */
export function ipsetRestore(sets: IpSet[], existing: Set<string>): string {
  const lines: string[] = [];
  for (const s of sets) {
    if (existing.has(s.name)) continue;
    lines.push(`create ${s.name} ${s.type} family inet -exist`);
    for (const e of s.entries) lines.push(`add ${s.name} ${e} -exist`);
  }
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/**
 * `iptables-restore --noflush` input: every chain of ours declared (which empties it), refilled,
 * and the chains no longer wanted (`stale`) deleted, in one transaction per table.
 */
export function iptablesRestore(rs: RuleSet, n: Names, stale: string[]): string {
  const out = ["*filter"];
  for (const c of [...rs.chains.keys(), ...stale]) out.push(`:${c} - [0:0]`);
  for (const [c, rules] of rs.chains) for (const r of rules) out.push(`-A ${c} ${r}`);
  for (const c of stale) out.push(`-X ${c}`);
  out.push("COMMIT", "*nat", `:${n.nomasq} - [0:0]`);
  for (const r of rs.nat) out.push(`-A ${n.nomasq} ${r}`);
  out.push("COMMIT");
  return `${out.join("\n")}\n`;
}
