// StatefulSets end to end with real containerd, the scheduler, the controllers, the local-path
// provisioner, the cluster DNS and stock kubectl: ordered start with claims bound, data that
// follows a pod's identity, DNS names through the headless service, ordered scale-down keeping
// claims, a partitioned rolling update, `kubectl rollout status`, and `kubectl rollout history|undo`
// over the set's ControllerRevisions.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { StatefulSet } from "../src/apis/apps/statefulset.ts";
import type { PersistentVolume, PersistentVolumeClaim } from "../src/apis/core/persistentvolume.ts";
import type { Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

const IFACE = `kbs${process.pid % 100000}`;
let c: AgentCluster;
beforeAll(async () => {
  c = await startAgentCluster({
    logPort: 0,
    serviceProxy: true,
    serviceInterface: IFACE,
    podCIDR: undefined,
    serverOptions: { controllers: { clusterCIDR: "10.215.0.0/16" }, scheduler: {} },
  });
}, 60_000);
afterAll(async () => {
  await c?.close();
}, 60_000);

const ok = (args: string[], stdin?: string) => c.server.kubectlOk(args, stdin);
const get = async <T>(args: string[]): Promise<T> => JSON.parse(await ok(["get", ...args, "-o", "json"])) as T;
const exists = async (args: string[]) => (await c.server.kubectl(["get", ...args])).code === 0;

// Every pod writes its hostname into its volume; web-0 turns Ready only once the test allows it
// (a file in its volume), so the test can see that web-1 waits for it.
const manifest = (image = "local/busybox:1", extra = "") => `apiVersion: v1
kind: Service
metadata: {name: web}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
${extra}  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: ${image}
        command: [sh, -c, 'hostname >> /data/hostnames; [ "$(hostname)" = web-0 ] || touch /data/ready; sleep 3600']
        readinessProbe: {exec: {command: [test, -f, /data/ready]}, periodSeconds: 1}
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 50Mi}}
`;

const hostDir = async (claim: string) => {
  const pvc = await get<PersistentVolumeClaim>(["pvc", claim]);
  return (await get<PersistentVolume>(["pv", pvc.spec!.volumeName!])).spec!.hostPath!.path;
};
const phase = async (name: string) => (await get<Pod>(["pod", name]).catch(() => undefined))?.status?.phase;

test("pods come up in order, each with its own bound claim", async () => {
  await ok(["apply", "-f", "-"], manifest());
  await waitFor("web-0 running", async () => (await phase("web-0")) === "Running", { timeoutMs: 60_000 });
  // web-0 is Running but not Ready: OrderedReady holds web-1 back.
  expect((await get<Pod>(["pod", "web-0"])).status?.conditions?.find((x) => x.type === "Ready")?.status).toBe("False");
  expect(await exists(["pod", "web-1"])).toBe(false);
  writeFileSync(`${await hostDir("data-web-0")}/ready`, "");
  await ok(["rollout", "status", "sts/web", "--timeout=90s"]);
  for (const i of [0, 1, 2]) {
    const pvc = await get<PersistentVolumeClaim>(["pvc", `data-web-${i}`]);
    expect(pvc.status?.phase).toBe("Bound");
    expect(readFileSync(`${await hostDir(`data-web-${i}`)}/hostnames`, "utf8")).toBe(`web-${i}\n`);
  }
  expect(await ok(["get", "sts", "web"])).toMatch(/^web\s+3\/3\s+/m);
});

test("a deleted pod comes back under its name with its data", async () => {
  await ok(["delete", "pod", "web-1"]);
  await waitFor("web-1 back and ready", async () => (await get<StatefulSet>(["sts", "web"])).status?.readyReplicas === 3 && (await phase("web-1")) === "Running", { timeoutMs: 60_000 });
  expect(readFileSync(`${await hostDir("data-web-1")}/hostnames`, "utf8")).toBe("web-1\nweb-1\n");
});

test("web-0.web resolves to web-0's IP from another pod", async () => {
  const ip = (await get<Pod>(["pod", "web-0"])).status?.podIP;
  await ok(["run", "dig", "--image=local/busybox:1", "--restart=Never", "--overrides", JSON.stringify({ spec: { terminationGracePeriodSeconds: 1 } }), "--", "sh", "-c", "until nslookup web-0.web.default.svc.cluster.local; do sleep 1; done; sleep 3600"]);
  const out = await waitFor("nslookup's answer", async () => {
    const logs = await ok(["logs", "dig"]).catch(() => "");
    return logs.includes(`Address: ${ip}`) && logs;
  }, { timeoutMs: 60_000 });
  expect(out).toContain("web-0.web.default.svc.cluster.local");
  await ok(["delete", "pod", "dig", "--wait=false"]);
});

test("a partitioned rolling update changes only ordinals at or above the partition", async () => {
  const before = await get<StatefulSet>(["sts", "web"]);
  await ok(["patch", "sts", "web", "-p", JSON.stringify({ spec: { updateStrategy: { rollingUpdate: { partition: 2 } }, template: { metadata: { annotations: { v: "2" } } } } })]);
  const out = await ok(["rollout", "status", "sts/web", "--timeout=90s"]);
  expect(out).toContain("partitioned roll out complete: 1 new pods have been updated");
  const sts = await get<StatefulSet>(["sts", "web"]);
  expect(sts.status?.updateRevision).not.toBe(before.status?.updateRevision);
  const revisions = await Promise.all([0, 1, 2].map(async (i) => (await get<Pod>(["pod", `web-${i}`])).metadata.labels?.["controller-revision-hash"]));
  expect(revisions).toEqual([before.status?.currentRevision, before.status?.currentRevision, sts.status?.updateRevision]);
});

test("scale down removes web-2 then web-1 and keeps their claims", async () => {
  await ok(["scale", "sts", "web", "--replicas=1"]);
  await waitFor("web-1 and web-2 gone", async () => !(await exists(["pod", "web-1"])) && !(await exists(["pod", "web-2"])), { timeoutMs: 60_000 });
  // Events are written in the order they happen: their resourceVersions (revisions) say which came first.
  const events = (await get<{ items: { message: string; metadata: { resourceVersion: string } }[] }>(["events"])).items;
  const revisionOf = (msg: string) => Number(events.find((e) => e.message === msg)?.metadata.resourceVersion);
  expect(revisionOf("delete Pod web-2 in StatefulSet web successful")).toBeLessThan(revisionOf("delete Pod web-1 in StatefulSet web successful"));
  for (const i of [1, 2]) expect((await get<PersistentVolumeClaim>(["pvc", `data-web-${i}`])).status?.phase).toBe("Bound");
});

test("changing serviceName or volumeClaimTemplates is 422 naming the field", async () => {
  const r = await c.server.kubectl(["patch", "sts", "web", "--type", "merge", "-p", '{"spec":{"serviceName":"other"}}']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("spec.serviceName: Forbidden: updates to statefulset spec for fields other than");
  const v = await c.server.kubectl(["patch", "sts", "web", "--type", "json", "-p", '[{"op":"replace","path":"/spec/volumeClaimTemplates/0/spec/resources/requests/storage","value":"1Gi"}]']);
  expect(v.code).not.toBe(0);
  expect(v.stderr).toContain("spec.volumeClaimTemplates[0]: Forbidden");
});

test("deleting the set removes its pods; Retain keeps the claims and their data", async () => {
  const dir = await hostDir("data-web-0");
  await ok(["delete", "sts", "web"]);
  await waitFor("web-0 gone", async () => !(await exists(["pod", "web-0"])), { timeoutMs: 60_000 });
  expect(await exists(["pvc", "data-web-0"])).toBe(true);
  expect(existsSync(`${dir}/hostnames`)).toBe(true);
});

test("rollout restart replaces every pod", async () => {
  await ok(["apply", "-f", "-"], `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: local/busybox:1, command: [sleep, "3600"], volumeMounts: [{name: data, mountPath: /data}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10Mi}}}
`);
  await ok(["rollout", "status", "sts/db", "--timeout=90s"]);
  const first = (await get<StatefulSet>(["sts", "db"])).status?.updateRevision;
  await ok(["rollout", "restart", "sts/db"]);
  await ok(["rollout", "status", "sts/db", "--timeout=90s"]);
  const restarted = await get<StatefulSet>(["sts", "db"]);
  expect(restarted.status?.updateRevision).not.toBe(first);
  expect(restarted.status?.currentRevision).toBe(restarted.status?.updateRevision);
  for (const i of [0, 1]) expect((await get<Pod>(["pod", `db-${i}`])).metadata.labels?.["controller-revision-hash"]).toBe(restarted.status?.updateRevision);
});

test("rollout history lists the ControllerRevisions; rollout undo goes back to the previous template", async () => {
  const restarted = (await get<StatefulSet>(["sts", "db"])).status?.updateRevision;
  expect(await ok(["rollout", "history", "sts/db"])).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  expect(await ok(["rollout", "history", "sts/db", "--revision=2"])).toContain("kubectl.kubernetes.io/restartedAt");
  expect(await ok(["rollout", "undo", "sts/db"])).toBe("statefulset.apps/db rolled back\n");
  await ok(["rollout", "status", "sts/db", "--timeout=90s"]);
  const undone = await get<StatefulSet>(["sts", "db"]);
  expect(undone.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeUndefined();
  expect(undone.status?.updateRevision).not.toBe(restarted);
  await waitFor("both pods back on revision 1's template", async () =>
    (await Promise.all([0, 1].map(async (i) => (await get<Pod>(["pod", `db-${i}`])).metadata.labels?.["controller-revision-hash"]))).every((r) => r === undone.status?.updateRevision),
    { timeoutMs: 60_000 });
  // Revision 1 is renumbered to the top rather than copied.
  expect(await ok(["rollout", "history", "sts/db"])).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/);
  expect(await ok(["rollout", "undo", "sts/db", "--to-revision=2"])).toBe("statefulset.apps/db rolled back\n");
  await ok(["rollout", "status", "sts/db", "--timeout=90s"]);
  expect((await get<StatefulSet>(["sts", "db"])).status?.updateRevision).toBe(restarted);
  const missing = await c.server.kubectl(["rollout", "undo", "sts/db", "--to-revision=9"]);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain("unable to find specified revision 9 in history");
}, 240_000);

test("under the Delete retention policy, scaling down and deleting the set remove the claims", async () => {
  const dir1 = await hostDir("data-db-1");
  await ok(["scale", "sts", "db", "--replicas=1"]);
  await waitFor("data-db-1 removed", async () => !(await exists(["pvc", "data-db-1"])), { timeoutMs: 60_000 });
  // Its local-path volume (reclaimPolicy Delete) goes with it, directory included.
  await waitFor("its directory removed", async () => !existsSync(dir1));
  expect(await exists(["pvc", "data-db-0"])).toBe(true);
  await ok(["delete", "sts", "db"]);
  await waitFor("data-db-0 removed with the set", async () => !(await exists(["pvc", "data-db-0"])), { timeoutMs: 60_000 });
});
