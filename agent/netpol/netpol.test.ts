// Rule compilation: policies → what each pod allows (model.ts), and → iptables/ipset input
// (rules.ts). Tables of {policy, pods, traffic, want}, checked through allows() and through the
// rendered rules.
import { describe, expect, test } from "bun:test";
import type { Namespace } from "../../src/apis/index.ts";
import { defaultNetworkPolicy, type NetworkPolicy } from "../../src/apis/networking/networkpolicy.ts";
import { allows, clusterDNSPeer, compile, type PolicyPod } from "./model.ts";
import { iptablesRestore, ipsetRestore, names, podChain, render } from "./rules.ts";

const pod = (namespace: string, name: string, ip: string, labels: Record<string, string> = {}, ports: PolicyPod["ports"] = []): PolicyPod => ({ uid: `${namespace}-${name}`, namespace, name, ip, labels, ports });
const ns = (name: string, labels: Record<string, string> = {}): Namespace => ({ metadata: { name, labels: { "kubernetes.io/metadata.name": name, ...labels } } });
const policy = (namespace: string, spec: Partial<NetworkPolicy["spec"]>): NetworkPolicy => {
  const np: NetworkPolicy = { metadata: { name: "p", namespace }, spec: { podSelector: {}, ...spec } };
  defaultNetworkPolicy(np);
  return np;
};

const db = pod("a", "db", "10.0.1.5", { app: "db" }, [{ name: "pg", port: 5432, protocol: "TCP" }]);
const web = pod("a", "web", "10.0.1.6", { app: "web" }, [{ name: "http", port: 8080, protocol: "TCP" }]);
const other = pod("b", "client", "10.0.2.7", { app: "web" });
const tools = pod("c", "tools", "10.0.2.8", { app: "tools" });
const dns = clusterDNSPeer("10.43.0.10");
const pods = [db, web, other, tools];
const namespaces = [ns("a", { team: "a" }), ns("b", { team: "b" }), ns("c", { team: "b" }), ns("kube-system")];

/** [what, policy, target, direction, peer IP, protocol, port, allowed] */
type Case = [string, NetworkPolicy, PolicyPod, "ingress" | "egress", string, string, number, boolean];
const cases: Case[] = [
  ["no policy: open", policy("b", {}), db, "ingress", other.ip, "TCP", 5432, true],
  ["default deny ingress", policy("a", {}), db, "ingress", web.ip, "TCP", 5432, false],
  ["default deny leaves egress open", policy("a", {}), db, "egress", other.ip, "TCP", 80, true],
  ["podSelector peer, same namespace", policy("a", { ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }] }), db, "ingress", web.ip, "TCP", 1, true],
  ["podSelector peer is namespace-local", policy("a", { ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }] }), db, "ingress", other.ip, "TCP", 1, false],
  ["namespaceSelector peer", policy("a", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "b" } } }] }] }), db, "ingress", tools.ip, "TCP", 1, true],
  ["namespace and pod selector together", policy("a", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "b" } }, podSelector: { matchLabels: { app: "web" } } }] }] }), db, "ingress", tools.ip, "TCP", 1, false],
  ["namespace and pod selector together, both match", policy("a", { ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "b" } }, podSelector: { matchLabels: { app: "web" } } }] }] }), db, "ingress", other.ip, "TCP", 1, true],
  ["port opens exactly that port", policy("a", { ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 5432 }] }] }), db, "ingress", other.ip, "TCP", 5432, true],
  ["port: another port stays shut", policy("a", { ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 5432 }] }] }), db, "ingress", other.ip, "TCP", 5433, false],
  ["port: protocol counts", policy("a", { ingress: [{ ports: [{ port: 5432 }] }] }), db, "ingress", other.ip, "UDP", 5432, false],
  ["endPort range, inside", policy("a", { ingress: [{ ports: [{ port: 1000, endPort: 2000 }] }] }), db, "ingress", other.ip, "TCP", 2000, true],
  ["endPort range, outside", policy("a", { ingress: [{ ports: [{ port: 1000, endPort: 2000 }] }] }), db, "ingress", other.ip, "TCP", 2001, false],
  ["ingress named port: the pod's own", policy("a", { ingress: [{ ports: [{ port: "pg" }] }] }), db, "ingress", other.ip, "TCP", 5432, true],
  ["ingress named port the pod lacks: nothing", policy("a", { ingress: [{ ports: [{ port: "http" }] }] }), db, "ingress", other.ip, "TCP", 8080, false],
  ["egress named port: the peer's", policy("a", { podSelector: { matchLabels: { app: "db" } }, egress: [{ to: [{ podSelector: {} }], ports: [{ port: "http" }] }] }), db, "egress", web.ip, "TCP", 8080, true],
  ["ipBlock allows", policy("a", { egress: [{ to: [{ ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.7.0/24"] } }] }] }), db, "egress", "192.168.1.1", "TCP", 443, true],
  ["ipBlock except denies", policy("a", { egress: [{ to: [{ ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.7.0/24"] } }] }] }), db, "egress", "192.168.7.1", "TCP", 443, false],
  ["empty rule allows all", policy("a", { ingress: [{}] }), db, "ingress", "8.8.8.8", "UDP", 9, true],
  ["policyTypes Egress only leaves ingress open", policy("a", { policyTypes: ["Egress"] }), db, "ingress", other.ip, "TCP", 1, true],
  ["egress deny-all", policy("a", { policyTypes: ["Egress"] }), db, "egress", other.ip, "TCP", 1, false],
  ["cluster DNS through the usual kube-dns rule", policy("a", { policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }] }] }), db, "egress", dns.ip, "UDP", 53, true],
  ["cluster DNS: a rule to other pods does not reach it", policy("a", { policyTypes: ["Egress"], egress: [{ to: [{ podSelector: {} }], ports: [{ protocol: "UDP", port: 53 }] }] }), db, "egress", dns.ip, "UDP", 53, false],
  ["cluster DNS: port 53 to anyone reaches it", policy("a", { policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "UDP", port: 53 }] }] }), db, "egress", dns.ip, "UDP", 53, true],
];

describe("compile + allows", () => {
  test.each(cases)("%s", (_, np, target, dir, peer, protocol, port, want) => {
    const [compiled] = compile({ policies: [np], pods: [...pods, dns], namespaces }, [target]);
    expect(allows(compiled?.[dir], peer, protocol, port)).toBe(want);
  });

  test("policies add up: any one that allows is enough", () => {
    const a = { ...policy("a", { ingress: [{ ports: [{ port: 1 }] }] }), metadata: { name: "one", namespace: "a" } };
    const b = { ...policy("a", { ingress: [{ ports: [{ port: 2 }] }] }), metadata: { name: "two", namespace: "a" } };
    const [c] = compile({ policies: [a, b], pods, namespaces }, [db]);
    expect([1, 2, 3].map((p) => allows(c!.ingress, other.ip, "TCP", p))).toEqual([true, true, false]);
  });

  test("a pod no policy selects is left out", () => {
    expect(compile({ policies: [policy("a", { podSelector: { matchLabels: { app: "db" } } })], pods, namespaces }, [web, other])).toEqual([]);
  });
});

describe("render", () => {
  const n = names("t1");
  const np = policy("a", {
    podSelector: { matchLabels: { app: "db" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }, { ipBlock: { cidr: "172.16.0.0/12", except: ["172.16.1.0/24"] } }], ports: [{ port: 5432 }, { protocol: "UDP", port: 1000, endPort: 1010 }] }],
    egress: [{ to: [{ podSelector: {} }], ports: [{ port: "http" }] }],
  });
  const compiled = compile({ policies: [np], pods: [...pods, dns], namespaces }, [db]);
  const rs = render({ names: n, pods: compiled, nodeIPs: ["172.31.230.11", "172.31.230.12"], clusterDNS: dns.ip, podCIDR: "10.0.1.0/24", otherPodCIDRs: ["10.0.1.0/24", "10.0.2.0/24"] });
  const set = (entries: string[]) => rs.sets.find((s) => JSON.stringify(s.entries) === JSON.stringify(entries))!.name;

  test("the pod's chains: node traffic first, one RETURN per allow, then DROP", () => {
    const ing = podChain(n, db.uid, "I");
    expect(rs.chains.get(ing)).toEqual([
      `-m set --match-set ${set(["172.31.230.11", "172.31.230.12"])} src -j RETURN`,
      `-m set --match-set ${set([web.ip])} src -p tcp -m tcp --dport 5432 -j RETURN`,
      `-m set --match-set ${set(["172.16.0.0/12", "172.16.1.0/24 nomatch"])} src -p tcp -m tcp --dport 5432 -j RETURN`,
      `-m set --match-set ${set([web.ip])} src -p udp -m udp --dport 1000:1010 -j RETURN`,
      `-m set --match-set ${set(["172.16.0.0/12", "172.16.1.0/24 nomatch"])} src -p udp -m udp --dport 1000:1010 -j RETURN`,
      "-j DROP",
    ]);
    const eg = podChain(n, db.uid, "E");
    expect(rs.chains.get(eg)).toEqual([`-m set --match-set ${set([web.ip])} dst -p tcp -m tcp --dport 8080 -j RETURN`, "-j DROP"]);
  });

  test("FORWARD jumps by pod IP after established traffic; INPUT checks egress to the cluster DNS", () => {
    expect(rs.chains.get(n.forward)).toEqual([
      "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
      `-d ${db.ip}/32 -j ${podChain(n, db.uid, "I")}`,
      `-s ${db.ip}/32 -j ${podChain(n, db.uid, "E")}`,
    ]);
    expect(rs.chains.get(n.input)).toContain(`-s ${db.ip}/32 -d ${dns.ip}/32 -j ${podChain(n, db.uid, "E")}`);
  });

  test("pod traffic to other nodes' podCIDRs keeps its source (no masquerade)", () => {
    expect(rs.nat).toEqual(["-s 10.0.1.0/24 -d 10.0.2.0/24 -j ACCEPT"]);
  });

  test("names fit iptables (28) and ipset (31)", () => {
    for (const c of rs.chains.keys()) expect(c.length).toBeLessThanOrEqual(28);
    for (const s of rs.sets) expect(s.name.length).toBeLessThanOrEqual(31);
  });

  test("restore input: sets made once, stale chains emptied and deleted in the same transaction", () => {
    const made = set([web.ip]);
    const ipset = ipsetRestore(rs.sets, new Set([made]));
    expect(ipset).not.toContain(made);
    expect(ipset).toContain("172.16.1.0/24 nomatch -exist");
    const text = iptablesRestore(rs, n, ["KNP-t1-I-gone"]);
    expect(text).toContain(":KNP-t1-I-gone - [0:0]\n");
    expect(text).toContain("-X KNP-t1-I-gone\nCOMMIT\n*nat\n:KUBUN-NP-t1-NOMASQ - [0:0]\n-A KUBUN-NP-t1-NOMASQ -s 10.0.1.0/24 -d 10.0.2.0/24 -j ACCEPT\nCOMMIT\n");
  });
});
