// Persistent storage end to end: real containerd, the scheduler, the controllers and stock
// kubectl. A claim on the default local-path class gets a directory on the node its pod lands
// on; the data outlives the pod; a claim in use is protected; a released volume's directory and
// object are removed by the node's agent; and Pending pods say why in kube-scheduler's words.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import type { PersistentVolume, PersistentVolumeClaim } from "../src/apis/core/persistentvolume.ts";
import type { Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
beforeAll(async () => {
  c = await startAgentCluster({ serverOptions: { controllers: {}, scheduler: {} }, logPort: 0 });
});
afterAll(async () => {
  await c?.close();
});

const ok = (args: string[], stdin?: string) => c.server.kubectlOk(args, stdin);
const get = async <T>(args: string[]): Promise<T> => JSON.parse(await ok(["get", ...args, "-o", "json"])) as T;
const gone = async (args: string[]) => (await c.server.kubectl(["get", ...args])).code !== 0;

const claim = (name: string, extra = "") => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 100Mi}}
${extra}`;

/** A pod (placed by the scheduler) running `script` with the claim mounted at /data. */
const podUsing = (name: string, claimName: string, script: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: local/busybox:1
    command: [sh, -c, '${script}']
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claimName}}
`;

const running = (name: string) => waitFor(`pod ${name} running`, async () => {
  const pod = await get<Pod>(["pod", name]);
  return pod.status?.phase === "Running" && pod;
}, { timeoutMs: 60_000 });

test("a local-path claim's data survives its pod: written, pod deleted, read back by a new pod on the same node", async () => {
  await ok(["apply", "-f", "-"], claim("data"));
  // WaitForFirstConsumer: nothing is provisioned before a pod uses the claim.
  expect((await get<PersistentVolumeClaim>(["pvc", "data"])).status?.phase).toBe("Pending");
  await ok(["apply", "-f", "-"], podUsing("writer", "data", "echo kept > /data/file && sleep 3600"));
  const writer = await running("writer");
  const pvc = await waitFor("claim bound", async () => {
    const p = await get<PersistentVolumeClaim>(["pvc", "data"]);
    return p.status?.phase === "Bound" && p;
  });
  expect(pvc.metadata.annotations?.["volume.kubernetes.io/selected-node"]).toBe(writer.spec?.nodeName);
  const pv = await get<PersistentVolume>(["pv", pvc.spec!.volumeName!]);
  expect(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual([c.agent.nodeName]);
  expect(pv.spec?.hostPath?.path.startsWith(`${c.dataDir}/storage/`)).toBe(true);
  expect(await ok(["get", "pvc", "data"])).toMatch(/data\s+Bound\s+pvc-\S+\s+100Mi\s+RWO\s+local-path/);
  await waitFor("file written on the host", async () => existsSync(`${pv.spec!.hostPath!.path}/file`));
  expect(readFileSync(`${pv.spec!.hostPath!.path}/file`, "utf8")).toBe("kept\n");

  await ok(["delete", "pod", "writer"]);
  await ok(["apply", "-f", "-"], podUsing("reader", "data", "cat /data/file && sleep 3600"));
  const reader = await running("reader");
  expect(reader.spec?.nodeName).toBe(writer.spec?.nodeName);
  await waitFor("reader's output", async () => (await ok(["logs", "reader"])).includes("kept"));
});

test("deleting a claim in use leaves it Terminating until its pod is gone; then its Delete volume and directory go", async () => {
  const pvc = await get<PersistentVolumeClaim>(["pvc", "data"]);
  const pv = await get<PersistentVolume>(["pv", pvc.spec!.volumeName!]);
  await ok(["delete", "pvc", "data", "--wait=false"]);
  const terminating = await get<PersistentVolumeClaim>(["pvc", "data"]);
  expect(terminating.metadata.deletionTimestamp).toBeDefined();
  expect(terminating.metadata.finalizers).toEqual(["kubernetes.io/pvc-protection"]);
  expect(await ok(["get", "pvc", "data"])).toMatch(/data\s+Terminating/);
  // Still mounted and readable while the pod runs.
  expect((await get<Pod>(["pod", "reader"])).status?.phase).toBe("Running");

  await ok(["delete", "pod", "reader"]);
  await waitFor("claim removed", () => gone(["pvc", "data"]));
  await waitFor("volume removed by the node's agent", () => gone(["pv", pv.metadata.name!]), { timeoutMs: 30_000 });
  expect(existsSync(pv.spec!.hostPath!.path)).toBe(false);
});

test("a pod whose bound volume lives on another node is Pending with kube-scheduler's reason", async () => {
  await ok(["apply", "-f", "-"], `apiVersion: v1
kind: PersistentVolume
metadata: {name: elsewhere}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  local: {path: /nonexistent}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [some-other-node]}]
`);
  await ok(["apply", "-f", "-"], claim("pinned", "  storageClassName: manual"));
  await waitFor("claim bound to the pinned volume", async () => (await get<PersistentVolumeClaim>(["pvc", "pinned"])).status?.phase === "Bound");
  await ok(["apply", "-f", "-"], podUsing("stuck", "pinned", "sleep 3600"));
  const message = await waitFor("PodScheduled=False", async () => {
    const pod = await get<Pod>(["pod", "stuck"]);
    return pod.status?.conditions?.find((x) => x.type === "PodScheduled" && x.status === "False")?.message;
  });
  expect(message).toBe("0/1 nodes are available: 1 node(s) had volume node affinity conflict. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.");
  await ok(["delete", "pod", "stuck"]);
});

test("a pod whose claim has no class and no volume waits: pod has unbound immediate PersistentVolumeClaims", async () => {
  await ok(["apply", "-f", "-"], claim("classless", '  storageClassName: ""'));
  await ok(["apply", "-f", "-"], podUsing("waiting", "classless", "sleep 3600"));
  const message = await waitFor("PodScheduled=False", async () => {
    const pod = await get<Pod>(["pod", "waiting"]);
    return pod.status?.conditions?.find((x) => x.type === "PodScheduled" && x.status === "False")?.message;
  });
  expect(message).toBe("0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.");
  const events = await ok(["get", "events", "--field-selector", "involvedObject.name=classless"]);
  expect(events).toContain("no persistent volumes available for this claim and no storage class is set");
  await ok(["delete", "pod", "waiting"]);
});

test("a claim naming a missing class stays Pending with an event saying why", async () => {
  await ok(["apply", "-f", "-"], claim("golden", "  storageClassName: gold"));
  const events = await waitFor("ProvisioningFailed event", async () => {
    const out = await ok(["get", "events", "--field-selector", "involvedObject.name=golden"]);
    return out.includes("ProvisioningFailed") && out;
  });
  expect(events).toContain('storageclass.storage.k8s.io "gold" not found');
  expect((await get<PersistentVolumeClaim>(["pvc", "golden"])).status?.phase).toBe("Pending");
});
