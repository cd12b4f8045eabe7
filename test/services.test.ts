// Services in the control plane against a real server: cluster IP and node port allocation in
// the API server's write path (concurrent, honoured, refused, released, rebuilt after a
// restart), the `kubernetes` service, and the endpoints and endpoint slice controllers.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Endpoints } from "../src/apis/core/endpoints.ts";
import type { Pod } from "../src/apis/core/pod.ts";
import type { Service } from "../src/apis/core/service.ts";
import type { EndpointSlice } from "../src/apis/discovery/endpointslice.ts";
import { KubeClient, resourceFor } from "../src/client/index.ts";
import { readyStatus, waitFor } from "./helpers/fake-kubelet.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const [SERVICES, PODS, ENDPOINTS, SLICES, NAMESPACES] = ["Service", "Pod", "Endpoints", "EndpointSlice", "Namespace"].map(resourceFor);

let s: TestServer;
let client: KubeClient;
let nsSeq = 0;

beforeAll(async () => {
  s = await startTestServer({ controllers: { workers: 2 } });
  client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
});

afterAll(async () => {
  await client?.close();
  await s?.close();
});

const namespace = async () => (await client.create(NAMESPACES!, undefined, { metadata: { name: `svc-${++nsSeq}` } })).metadata.name!;

const service = (name: string, spec: Record<string, unknown> = {}): Service => ({ metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } }) as Service;

async function status(path: string, body: unknown): Promise<{ code: number; causes: { field: string; message: string }[] }> {
  const res = await s.api(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  const json = (await res.json()) as { code?: number; details?: { causes?: { field: string; message: string }[] } };
  return { code: res.status, causes: json.details?.causes ?? [] };
}

describe("cluster IPs and node ports", () => {
  test("the kubernetes service points at the API server", async () => {
    const svc = await client.get<Service>(SERVICES!, "default", "kubernetes");
    expect(svc.spec?.clusterIP).toBe("10.43.0.1");
    expect(svc.spec?.ports).toEqual([expect.objectContaining({ name: "https", port: 443, targetPort: s.port })]);
    const ep = await client.get<Endpoints>(ENDPOINTS!, "default", "kubernetes");
    expect(ep.subsets).toEqual([{ addresses: [{ ip: "127.0.0.1" }], ports: [{ name: "https", port: s.port, protocol: "TCP" }] }]);
    const slice = await client.get<EndpointSlice>(SLICES!, "default", "kubernetes");
    expect(slice.endpoints[0]?.addresses).toEqual(["127.0.0.1"]);
  });

  test("50 concurrent creates get 50 distinct IPs from the range", async () => {
    const ns = await namespace();
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => client.create<Service>(SERVICES!, ns, service(`s${i}`))));
    const ips = created.map((svc) => svc.spec!.clusterIP!);
    expect(new Set(ips).size).toBe(50);
    for (const ip of ips) {
      expect(ip).toMatch(/^10\.43\.\d+\.\d+$/);
      expect(ip).not.toBe("10.43.0.1");
    }
  });

  test("a requested IP is honoured once; a taken or out-of-range one is 422", async () => {
    const ns = await namespace();
    const ok = await client.create<Service>(SERVICES!, ns, service("given", { clusterIP: "10.43.200.7" }));
    expect(ok.spec?.clusterIPs).toEqual(["10.43.200.7"]);
    const taken = await status(`/api/v1/namespaces/${ns}/services`, service("again", { clusterIP: "10.43.200.7" }));
    expect(taken.code).toBe(422);
    expect(taken.causes[0]).toMatchObject({ field: "spec.clusterIPs[0]", message: expect.stringContaining("provided IP is already allocated") });
    const outside = await status(`/api/v1/namespaces/${ns}/services`, service("outside", { clusterIP: "192.168.9.9" }));
    expect(outside.code).toBe(422);
    expect(outside.causes[0]?.message).toContain("is not in the valid range");
  });

  test("node ports: allocated in range, refused when taken, released on delete", async () => {
    const ns = await namespace();
    const svc = await client.create<Service>(SERVICES!, ns, service("np", { type: "NodePort" }));
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    const taken = await status(`/api/v1/namespaces/${ns}/services`, service("np2", { type: "NodePort", ports: [{ port: 80, nodePort }] }));
    expect(taken).toMatchObject({ code: 422, causes: [{ field: "spec.ports[0].nodePort", message: expect.stringContaining("provided port is already allocated") }] });
    await client.delete(SERVICES!, ns, "np");
    const again = await client.create<Service>(SERVICES!, ns, service("np2", { type: "NodePort", clusterIP: svc.spec!.clusterIP, ports: [{ port: 80, nodePort }] }));
    expect(again.spec!.ports![0]!.nodePort).toBe(nodePort);
    expect(again.spec!.clusterIP).toBe(svc.spec!.clusterIP);
  });

  test("NodePort to ClusterIP gives the node port back", async () => {
    const ns = await namespace();
    const svc = await client.create<Service>(SERVICES!, ns, service("flip", { type: "NodePort" }));
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    // A patch of the type alone: the node ports and externalTrafficPolicy go with the old type.
    const flipped = await client.patch<Service>(SERVICES!, ns, "flip", { spec: { type: "ClusterIP" } }, "merge");
    expect(flipped.spec?.ports?.[0]?.nodePort).toBeUndefined();
    expect(flipped.spec?.clusterIP).toBe(svc.spec!.clusterIP);
    const reuse = await client.create<Service>(SERVICES!, ns, service("reuse", { type: "NodePort", ports: [{ port: 80, nodePort }] }));
    expect(reuse.spec!.ports![0]!.nodePort).toBe(nodePort);
  });

  test("a headless service gets None", async () => {
    const ns = await namespace();
    const svc = await client.create<Service>(SERVICES!, ns, service("headless", { clusterIP: "None" }));
    expect(svc.spec?.clusterIP).toBe("None");
  });

  test("kubectl expose deployment and get svc show the IP", async () => {
    const ns = await namespace();
    const deploy = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: ns }, spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "busybox:1" }] } } } };
    expect((await s.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(deploy) })).code).toBe(0);
    const exposed = await s.kubectl(["expose", "deployment", "web", "-n", ns, "--port", "80", "--target-port", "8080", "-o", "json"]);
    expect(exposed.stderr).toBe("");
    const svc = JSON.parse(exposed.stdout) as Service;
    expect(svc.spec?.clusterIP).toMatch(/^10\.43\./);
    const got = await s.kubectl(["get", "svc", "web", "-n", ns]);
    expect(got.stdout).toContain(svc.spec!.clusterIP!);
    expect(got.stdout).toContain("80/TCP");
  });
});

describe("endpoints controllers", () => {
  const makePod = (name: string, app: string): Pod =>
    ({ metadata: { name, labels: { app } }, spec: { containers: [{ name: "c", image: "busybox:1", ports: [{ name: "http", containerPort: 8080 }] }] } }) as Pod;

  async function setStatus(ns: string, name: string, ready: boolean, ip: string) {
    const pod = await client.get<Pod>(PODS!, ns, name);
    const st = readyStatus(pod)!;
    st.podIP = ip;
    for (const c of st.conditions ?? []) if (c.type === "Ready" || c.type === "ContainersReady") c.status = ready ? "True" : "False";
    await client.patch(PODS!, ns, name, { status: st }, "merge", { subresource: "status" });
  }

  test("ready pods in addresses, unready in notReadyAddresses, named targetPort resolved; the slice follows", async () => {
    const ns = await namespace();
    await client.create(SERVICES!, ns, service("web", { ports: [{ name: "http", port: 80, targetPort: "http" }] }));
    await Promise.all(["a", "b"].map((n) => client.create(PODS!, ns, makePod(n, "web"))));
    await client.create(PODS!, ns, makePod("other", "db"));
    await setStatus(ns, "a", true, "10.244.0.2");
    await setStatus(ns, "b", false, "10.244.0.3");
    await setStatus(ns, "other", true, "10.244.0.9");

    const ep = await waitFor("endpoints with a and b", async () => {
      const e = await client.get<Endpoints>(ENDPOINTS!, ns, "web");
      return e.subsets?.[0]?.notReadyAddresses?.length ? e : undefined;
    });
    expect(ep.subsets).toEqual([
      {
        addresses: [expect.objectContaining({ ip: "10.244.0.2", targetRef: expect.objectContaining({ kind: "Pod", name: "a", namespace: ns }) })],
        notReadyAddresses: [expect.objectContaining({ ip: "10.244.0.3" })],
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      },
    ]);

    // b turns ready: both controllers follow the readiness change.
    await setStatus(ns, "b", true, "10.244.0.3");
    await waitFor("b ready in endpoints", async () => (await client.get<Endpoints>(ENDPOINTS!, ns, "web")).subsets?.[0]?.addresses?.length === 2);
    const slice = await waitFor("slice with two ready endpoints", async () => {
      const slices = (await client.list<EndpointSlice>(SLICES!, { namespace: ns, labelSelector: "kubernetes.io/service-name=web" })).items;
      return slices.length === 1 && slices[0]!.endpoints.filter((e) => e.conditions?.ready).length === 2 ? slices[0] : undefined;
    });
    expect(slice.addressType).toBe("IPv4");
    expect(slice.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    expect(slice.metadata.ownerReferences?.[0]).toMatchObject({ kind: "Service", name: "web" });
    expect(slice.endpoints.map((e) => e.addresses[0]).sort()).toEqual(["10.244.0.2", "10.244.0.3"]);

    // Deleting the service takes its Endpoints and (through the GC) its slice along.
    await client.delete(SERVICES!, ns, "web");
    await waitFor("endpoints gone", async () => (await client.list(ENDPOINTS!, { namespace: ns })).items.length === 0);
    await waitFor("slice gone", async () => (await client.list(SLICES!, { namespace: ns })).items.length === 0);
  });
});

test("a restart on the same data dir never hands out a taken IP", async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), "kubun-svc-restart-")), "data");
  const opts = { dataDir, serviceCIDR: "10.96.0.0/28" };
  const create = async (srv: TestServer, name: string) =>
    srv.api("/api/v1/namespaces/default/services", { method: "POST", body: JSON.stringify(service(name)), headers: { "content-type": "application/json" } });
  try {
    const first = await startTestServer(opts);
    // /28: 14 addresses, .1 is the kubernetes service's, .10 stays for DNS: 12 to hand out.
    const before = await Promise.all(Array.from({ length: 6 }, (_, i) => create(first, `before-${i}`).then((r) => r.json() as Promise<Service>)));
    await first.close();
    const second = await startTestServer(opts);
    try {
      const after: string[] = [];
      for (let i = 0; ; i++) {
        const res = await create(second, `after-${i}`);
        if (res.status !== 201) {
          expect(res.status).toBe(500); // the range is full
          break;
        }
        after.push(((await res.json()) as Service).spec!.clusterIP!);
      }
      expect(after.length).toBe(6);
      const all = [...before.map((svc) => svc.spec!.clusterIP!), ...after];
      expect(new Set(all).size).toBe(12);
      expect(all).not.toContain("10.96.0.1");
      expect(all).not.toContain("10.96.0.10");
    } finally {
      await second.close();
    }
  } finally {
    rmSync(join(dataDir, ".."), { recursive: true, force: true });
  }
});
