// Services end to end on a real containerd: a Deployment of busybox httpd pods behind Services,
// the controllers keeping EndpointSlices, and the agent's service proxy and cluster DNS carrying
// traffic from pods and from the host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { EndpointSlice } from "../src/apis/discovery/endpointslice.ts";
import type { Pod, Service } from "../src/apis/index.ts";
import { exchange } from "./helpers/loopback-servers.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

const IFACE = `kbe${process.pid % 100000}`;
const NODE_PORT = 30000 + (process.pid % 2700);
const IMAGE = "local/busybox:1";

let c: AgentCluster | undefined;
let closed = false;
const cluster = () => c!;

beforeAll(async () => {
  // The node IPAM controller allocates the podCIDR (a fixed one would race with it).
  c = await startAgentCluster({ logPort: 0, serviceProxy: true, serviceInterface: IFACE, podCIDR: undefined, serverOptions: { controllers: { clusterCIDR: "10.214.0.0/16" } } });
  await apply(MANIFESTS);
}, 60_000);
afterAll(async () => {
  if (!closed) await c?.close();
}, 60_000);

const MANIFESTS = (nodeName: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      nodeName: ${nodeName}
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: ${IMAGE}
        ports: [{ name: http, containerPort: 80 }]
        readinessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: web-np }
spec: { type: NodePort, selector: { app: web }, ports: [{ port: 8080, targetPort: 80, nodePort: ${NODE_PORT} }] }
---
apiVersion: v1
kind: Service
metadata: { name: web-sticky }
spec: { sessionAffinity: ClientIP, selector: { app: web }, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: nobody }
spec: { selector: { app: nobody }, ports: [{ port: 80 }] }
`;

async function apply(manifests: (node: string) => string): Promise<void> {
  await cluster().server.kubectlOk(["apply", "-f", "-"], manifests(cluster().agent.nodeName));
}

async function get<T>(path: string): Promise<T | null> {
  const res = await cluster().server.api(path);
  return res.status === 200 ? ((await res.json()) as T) : null;
}


const clusterIP = async (name: string) => (await waitFor(`service ${name}'s ClusterIP`, () => get<Service>(`/api/v1/namespaces/default/services/${name}`).then((s) => s?.spec?.clusterIP)))!;

/** The ready endpoint addresses of a service's slices. */
async function readyEndpoints(service: string): Promise<string[]> {
  const list = await get<{ items: EndpointSlice[] }>(`/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${service}`);
  return (list?.items ?? []).flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).map((e) => e.addresses[0]!).sort();
}

async function webPods(): Promise<Pod[]> {
  const list = await get<{ items: Pod[] }>("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb");
  return list?.items ?? [];
}

/** Waits until the service's ready endpoints are exactly the ready, not terminating, web pods. */
async function settled(service: string, replicas: number): Promise<string[]> {
  return waitFor(`${replicas} ready endpoints of ${service}`, async () => {
    const pods = (await webPods()).filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((x) => x.type === "Ready" && x.status === "True"));
    const ips = pods.map((p) => p.status!.podIP!).sort();
    const eps = await readyEndpoints(service);
    return ips.length === replicas && JSON.stringify(ips) === JSON.stringify(eps) ? pods.map((p) => p.metadata.name!) : false;
  });
}

const httpGet = (url: string) => fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))));

/** Runs a busybox pod with `script`, waits for it to finish and returns its log lines. */
async function runClient(name: string, script: string): Promise<string[]> {
  await cluster().createPod(name, { restartPolicy: "Never", containers: [{ name: "client", image: IMAGE, command: ["sh", "-c", script] }] });
  await waitFor(`pod ${name} to finish`, async () => ["Succeeded", "Failed"].includes((await get<Pod>(`/api/v1/namespaces/default/pods/${name}`))?.status?.phase ?? ""), { timeoutMs: 60_000 });
  return (await cluster().server.kubectlOk(["logs", name])).split("\n").filter(Boolean);
}

describe("services on a real node", () => {
  let lines: string[] = [];
  let names: string[] = [];
  const answers = (prefix: string) => lines.filter((l) => l.startsWith(`${prefix} `)).map((l) => l.slice(prefix.length + 1));

  beforeAll(async () => {
    names = await settled("web", 3);
    await settled("web-sticky", 3);
    const ip = await clusterIP("web");
    const sticky = await clusterIP("web-sticky");
    // One client pod for every in-pod scenario: each line is "<scenario> <hostname that answered>".
    // (`timeout`, not wget's -T, which crashes this static busybox.)
    lines = await runClient(
      "client",
      `for i in $(seq 30); do echo "spread $(timeout 5 wget -q -O- http://${ip}/)"; done
       echo "fqdn $(timeout 5 wget -q -O- http://web.default.svc.cluster.local/)"
       echo "short $(timeout 5 wget -q -O- http://web/)"
       for i in $(seq 10); do echo "sticky $(timeout 5 wget -q -O- http://${sticky}/)"; done
       cat /etc/resolv.conf | sed 's/^/resolv /'`,
    );
  }, 120_000);

  test("30 requests from a pod to the ClusterIP reach all 3 pods", () => {
    const spread = answers("spread");
    expect(spread).toHaveLength(30);
    expect([...new Set(spread)].sort()).toEqual([...names].sort());
  });

  test("a pod resolves the service by its full name and by its short name", () => {
    expect(names).toContain(answers("fqdn")[0]);
    expect(names).toContain(answers("short")[0]);
  });

  test("ClusterFirst pods get the cluster DNS in resolv.conf", () => {
    const resolv = answers("resolv");
    expect(resolv).toContain("nameserver 10.43.0.10");
    expect(resolv.find((l) => l.startsWith("search"))).toBe("search default.svc.cluster.local svc.cluster.local cluster.local");
    expect(resolv.find((l) => l.startsWith("options"))).toContain("ndots:5");
  });

  test("ClientIP affinity pins the client to one pod", () => {
    const sticky = answers("sticky");
    expect(sticky).toHaveLength(10);
    expect(new Set(sticky).size).toBe(1);
    expect(names).toContain(sticky[0]);
  });

  test("the NodePort answers on the host's loopback", async () => {
    expect(names).toContain((await waitFor("the NodePort", () => httpGet(`http://127.0.0.1:${NODE_PORT}/`))).trim());
  });

  test("a service with no ready pods refuses at once", async () => {
    const ip = await clusterIP("nobody");
    const r = await waitFor("the ClusterIP to listen", () => exchange(ip, 80, new Uint8Array(0)).catch(() => undefined));
    expect(r.received.byteLength).toBe(0);
    expect(r.error).toBeDefined();
  });

  test("scaled to 1 and its pod deleted, no request fails once the endpoints settle", async () => {
    const ip = await clusterIP("web");
    const scale = await cluster().server.kubectl(["scale", "deployment/web", "--replicas=1"]);
    expect(scale.code).toBe(0);
    const [survivor] = await settled("web", 1);
    const del = await cluster().server.kubectl(["delete", "pod", survivor!, "--wait=false"]);
    expect(del.code).toBe(0);
    const [replacement] = await waitFor("a replacement pod", async () => {
      const now = await settled("web", 1);
      return now[0] !== survivor ? now : false;
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => httpGet(`http://${ip}/`)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value.trim() : String(r.reason)))).toEqual(Array(20).fill(replacement));
  }, 90_000);

  test("stopping the agent removes the proxy's interface", async () => {
    await cluster().close();
    closed = true;
    const link = Bun.spawnSync(["ip", "link", "show", IFACE], { stderr: "ignore" });
    expect(link.exitCode).not.toBe(0);
  });
});
