// Local-path storage on two nodes (two agents, each in its own network namespace with its own
// data dir): a WaitForFirstConsumer claim's volume is made on the node the scheduler picked for
// its first pod, and a re-created pod follows its volume back there even when the scheduler's
// scoring would rather place it on the other node.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import type { PersistentVolume, PersistentVolumeClaim } from "../src/apis/core/persistentvolume.ts";
import type { Pod } from "../src/apis/index.ts";
import { startNetnsCluster, type NetnsCluster } from "./helpers/netns-cluster.ts";

let cluster: NetnsCluster;
beforeAll(async () => {
  cluster = await startNetnsCluster({ tag: "st", nodes: 2, subnet: "172.31.248", serverOptions: { controllers: { clusterCIDR: "10.216.0.0/16" }, scheduler: {} } });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 60_000);

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await cluster.server.api(path, { ...init, headers: { "content-type": "application/json" } });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const create = <T>(path: string, obj: unknown) => api<T>(path, { method: "POST", body: JSON.stringify(obj) });

const pod = (name: string, script: string, requests: Record<string, string> = {}) => ({
  metadata: { name },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: "c", image: "local/busybox:1", command: ["sh", "-c", script], volumeMounts: [{ name: "data", mountPath: "/data" }], resources: { requests } }],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
  },
});
const running = (name: string) =>
  cluster.waitFor(`pod ${name} running`, async () => {
    const p = await api<Pod>(`/api/v1/namespaces/default/pods/${name}`);
    return p.status?.phase === "Running" && p;
  }, 60_000);
const deletePod = async (name: string) => {
  await api(`/api/v1/namespaces/default/pods/${name}`, { method: "DELETE" });
  await cluster.waitFor(`pod ${name} gone`, async () => (await cluster.server.api(`/api/v1/namespaces/default/pods/${name}`)).status === 404);
};

test("the claim's volume lands on the scheduler's node, and a re-created pod goes back there", async () => {
  await create("/api/v1/namespaces/default/persistentvolumeclaims", {
    metadata: { name: "data" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Mi" } } },
  });
  await create("/api/v1/namespaces/default/pods", pod("writer", "echo here > /data/file; sleep 3600"));
  const writer = await running("writer");
  const home = cluster.nodes.find((n) => n.name === writer.spec?.nodeName)!;
  const other = cluster.nodes.find((n) => n !== home)!;
  const pvc = await api<PersistentVolumeClaim>("/api/v1/namespaces/default/persistentvolumeclaims/data");
  const pv = await api<PersistentVolume>(`/api/v1/persistentvolumes/${pvc.spec!.volumeName}`);
  expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual([home.name]);
  expect(pv.spec?.hostPath?.path.startsWith(`${home.dataDir}/storage/`)).toBe(true);
  await cluster.waitFor("the file on the home node's disk", async () => existsSync(`${pv.spec!.hostPath!.path}/file`));
  await deletePod("writer");

  // A pod with requests on the other node makes it the bin-packing scorer's favourite.
  await create("/api/v1/namespaces/default/pods", {
    metadata: { name: "filler" },
    spec: { nodeName: other.name, terminationGracePeriodSeconds: 1, containers: [{ name: "c", image: "local/busybox:1", command: ["sleep", "3600"], resources: { requests: { cpu: "100m" } } }] },
  });
  await running("filler");
  await create("/api/v1/namespaces/default/pods", pod("reader", "cat /data/file > /data/read; sleep 3600", { cpu: "100m" }));
  const reader = await running("reader");
  expect(reader.spec?.nodeName).toBe(home.name);
  await cluster.waitFor("the reader's copy", async () => existsSync(`${pv.spec!.hostPath!.path}/read`));
  expect(readFileSync(`${pv.spec!.hostPath!.path}/read`, "utf8")).toBe("here\n");
}, 120_000);
