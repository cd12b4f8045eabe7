// NetworkPolicy enforced with real traffic on the two-node network-namespace cluster: each agent
// in its own network namespace keeps its pods' iptables chains and ipsets there. Pods are busybox
// (httpd to serve, wget to fetch) and every probe of reachability is a real connection made
// from inside a pod with `kubectl exec`. Policies go in with stock kubectl.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { agentId, names, podChain } from "../agent/netpol/index.ts";
import type { Pod } from "../src/apis/index.ts";
import { startNetnsCluster, type NetnsCluster, type NetnsNode } from "./helpers/netns-cluster.ts";
import type { TestServer } from "./helpers/server.ts";

let cluster: NetnsCluster;
let server: TestServer;
let n1: NetnsNode;
let n2: NetnsNode;
const ip: Record<string, string> = {};

const kubectl = (args: string[], stdin?: string) => server.kubectlOk(args, stdin);
const apply = (yaml: string) => kubectl(["apply", "-f", "-"], yaml);

// db serves "db" on port 80 (named "web") and on port 81 (named "alt").
const SERVE = "mkdir -p /www; echo db > /www/index.html; httpd -p 81 -h /www; exec httpd -f -p 80 -h /www";

function podYaml(ns: string, name: string, node: string, labels: Record<string, string>, serve: boolean): string {
  const labelLines = Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`).join("\n");
  const container = serve
    ? `    command: ["sh", "-c", "${SERVE}"]
    ports: [{name: web, containerPort: 80}, {name: alt, containerPort: 81}]
    readinessProbe: {httpGet: {port: 80, path: /}, periodSeconds: 1}`
    : `    command: ["sleep", "3600"]`;
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
${labelLines}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: local/busybox:1
${container}
`;
}

const podOf = async (ns: string, name: string) => (await (await server.api(`/api/v1/namespaces/${ns}/pods/${name}`)).json()) as Pod;
const ready = (ns: string, name: string) =>
  cluster.waitFor(`${ns}/${name} ready`, async () => {
    const p = await podOf(ns, name);
    return p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" && p.status.podIP ? p.status.podIP : null;
  }, 60_000);

/** Whether a pod gets the page at url (a real TCP connection from inside the pod). */
async function reaches(from: [string, string], url: string): Promise<boolean> {
  const r = await server.kubectl(["exec", "-n", from[0], from[1], "--", "timeout", "3", "wget", "-q", "-O", "-", url]);
  return r.code === 0 && r.stdout.trim() === "db";
}
const becomes = (what: string, from: [string, string], url: string, want: boolean) =>
  cluster.waitFor(`${from.join("/")} → ${url}: ${want ? "allowed" : "denied"} (${what})`, async () => (await reaches(from, url)) === want, 30_000);

const B_REMOTE: [string, string] = ["np-b", "client"]; // team b, on the other node
const B_LOCAL: [string, string] = ["np-b", "neighbour"]; // team b, on db's node (across the bridge)
const C_REMOTE: [string, string] = ["np-c", "client"]; // team c, on the other node

beforeAll(async () => {
  // The controllers make the Service's EndpointSlices, and their IPAM gives each node one of the
  // two /24s of 10.214.2.0/23. The agents are given no --pod-cidr fallback: in a cluster the
  // IPAM owns spec.podCIDR (a fallback naming the other node's /24 would be refused by the API
  // server and the agent would wait for the IPAM anyway: test/node-podcidr.test.ts).
  cluster = await startNetnsCluster({
    tag: "np",
    nodes: 2,
    subnet: "172.31.230",
    serverOptions: { controllers: { clusterCIDR: "10.214.2.0/23", nodeCIDRMaskSize: 24 } },
  });
  server = cluster.server;
  [n1, n2] = cluster.nodes as [NetnsNode, NetnsNode];
  for (const [ns, team] of [["np-a", "a"], ["np-b", "b"], ["np-c", "c"]]) await apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n  labels:\n    team: ${team}\n`);
  await apply(
    [
      podYaml("np-a", "db", n1.name, { app: "db" }, true),
      podYaml("np-b", "client", n2.name, { app: "client" }, false),
      podYaml("np-b", "neighbour", n1.name, { app: "client" }, false),
      podYaml("np-c", "client", n2.name, { app: "client" }, false),
    ].join("---\n"),
  );
  await apply(`apiVersion: v1\nkind: Service\nmetadata:\n  name: db\n  namespace: np-a\nspec:\n  selector: {app: db}\n  ports: [{port: 8080, targetPort: 80}]\n`);
  ip.db = await ready("np-a", "db");
  for (const [ns, name] of [B_REMOTE, B_LOCAL, C_REMOTE]) ip[`${ns}/${name}`] = await ready(ns!, name!);
  ip.svc = ((await (await server.api("/api/v1/namespaces/np-a/services/db")).json()) as { spec: { clusterIP: string } }).spec.clusterIP;
}, 180_000);

afterAll(async () => {
  await cluster?.close();
}, 90_000);

const db = (port: number) => `http://${ip.db}:${port}/`;
const ours = async (m: NetnsNode) => (await cluster.inNetns(m, ["iptables", "-S"])).split("\n").filter((l) => /^-N (KNP|KUBUN-NP)-/.test(l));

describe("NetworkPolicy with real pods on two nodes", () => {
  test("without policies every pod reaches db on both ports", async () => {
    expect(await becomes("no policy", B_REMOTE, db(80), true)).toBe(true);
    expect(await reaches(B_REMOTE, db(81))).toBe(true);
    expect(await reaches(C_REMOTE, db(80))).toBe(true);
    expect(await reaches(B_LOCAL, db(80))).toBe(true);
    await cluster.waitFor("the service routes", async () => reaches(C_REMOTE, `http://${ip.svc}:8080/`), 10_000);
  }, 60_000);

  test("kubectl serves the kind: create, get with its columns, describe", async () => {
    await apply(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny-all\n  namespace: np-a\nspec:\n  podSelector: {}\n`);
    const table = await kubectl(["get", "netpol", "-n", "np-a"]);
    expect(table).toMatch(/^NAME\s+POD-SELECTOR\s+AGE\ndeny-all\s+<none>\s+\d+s\n$/);
    const stored = JSON.parse(await kubectl(["get", "networkpolicy", "deny-all", "-n", "np-a", "-o", "json"]));
    expect(stored.spec.policyTypes).toEqual(["Ingress"]);
    const described = await kubectl(["describe", "netpol", "deny-all", "-n", "np-a"]);
    expect(described).toContain("Selected pods are isolated for ingress connectivity");
    expect(described).toMatch(/Policy Types:\s+Ingress/);
  }, 30_000);

  test("default deny: no pod reaches db, from either node; db stays Ready (its node's probes pass)", async () => {
    await becomes("default deny", B_REMOTE, db(80), false);
    expect(await reaches(B_LOCAL, db(80))).toBe(false); // same node, across the bridge
    expect(await reaches(C_REMOTE, db(81))).toBe(false);
    await Bun.sleep(2500); // several probe periods under the policy
    expect((await podOf("np-a", "db")).status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    // db's ingress chain is on its node only.
    expect((await ours(n1)).some((l) => l.startsWith("-N KNP-") && l.includes("-I-"))).toBe(true);
    expect((await ours(n2)).some((l) => l.startsWith("-N KNP-"))).toBe(false);
  }, 60_000);

  test("an allow from team b's namespaces on the named port opens exactly that port, for exactly them", async () => {
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-from-team-b
  namespace: np-a
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: b}}}]
    ports: [{port: web}]
`);
    await becomes("allowed from team b", B_REMOTE, db(80), true);
    expect(await reaches(B_REMOTE, db(81))).toBe(false);
    expect(await reaches(B_LOCAL, db(80))).toBe(true);
    expect(await reaches(B_LOCAL, db(81))).toBe(false);
    expect(await reaches(C_REMOTE, db(80))).toBe(false);
  }, 60_000);

  test("Service traffic through the proxy follows the same policy", async () => {
    const svc = `http://${ip.svc}:8080/`;
    await cluster.waitFor("the service routes", async () => reaches(B_REMOTE, svc), 30_000);
    expect(await reaches(C_REMOTE, svc)).toBe(false);
  }, 60_000);

  test("egress to an ipBlock: allowed inside it, denied in its except, and cluster DNS only when a rule lets it", async () => {
    // team b's client may reach the pod network except the db pod itself, and DNS.
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: egress
  namespace: np-b
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.214.0.0/16, except: ["${ip.db}/32"]}}]
`);
    await becomes("db in the except", B_REMOTE, db(80), false);
    await apply(podYaml("np-c", "web", n1.name, { app: "web" }, true));
    const web = await ready("np-c", "web");
    expect(await reaches(B_REMOTE, `http://${web}:80/`)).toBe(true);
    const lookup = () => server.kubectl(["exec", "-n", "np-b", "client", "--", "timeout", "5", "nslookup", "db.np-a.svc.cluster.local", "10.43.0.10"]);
    expect((await lookup()).code).not.toBe(0);
    await apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: dns
  namespace: np-b
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]
    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
`);
    await cluster.waitFor("DNS allowed", async () => (await lookup()).code === 0, 30_000);
    // A pod that goes takes its chains with it (neighbour, on db's node, is under the dns policy).
    const uid = (await podOf("np-b", "neighbour")).metadata.uid!;
    const chain = podChain(names(agentId(n1.dataDir)), uid, "E");
    expect(await ours(n1)).toContain(`-N ${chain}`);
    await kubectl(["delete", "pod", "neighbour", "-n", "np-b", "--wait=false"]);
    await cluster.waitFor("neighbour's chain gone", async () => !(await ours(n1)).includes(`-N ${chain}`), 30_000);
  }, 90_000);

  test("deleting the policies opens everything again and takes the chains away", async () => {
    await kubectl(["delete", "netpol", "--all", "-n", "np-a"]);
    await kubectl(["delete", "netpol", "--all", "-n", "np-b"]);
    await becomes("no policies", C_REMOTE, db(81), true);
    expect(await reaches(B_REMOTE, db(80))).toBe(true);
    await cluster.waitFor("pod chains gone", async () => !(await ours(n1)).some((l) => l.startsWith("-N KNP-")) && !(await ours(n2)).some((l) => l.startsWith("-N KNP-")));
  }, 60_000);
});
