// What one request of each kind the end-to-end bench sends costs the server, in process (Hono's
// app.request: no TLS, no sockets): pod create, binding, Event create, the kubelet's pod status
// merge patch, Lease create and Lease renewal (a merge patch of renewTime, as the agent sends it).
// Each kind runs N requests, C at once, in rounds (the first ones warm the JIT); the last round's
// process CPU per request is reported. A watch over all pods reads every event, as the
// scheduler's does. For A/B runs on the shared machine (under flock /tmp/kubun-bench.lock) and for
// a CPU profile of one kind (`bun --cpu-prof-md bench/api-kinds.ts --only status_patch`: only that kind and the ones it needs).
//   --requests N (default 2000)  --clients C (default 64)  --rounds R (default 2)  --only KIND
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/api/app.ts";
import { StaticTokens } from "../src/api/auth.ts";
import { ensureDefaultNamespaces } from "../src/api/bootstrap.ts";
import { Storage } from "../src/api/storage.ts";
import { SqliteStore } from "../src/store/index.ts";
import { STAGE_TIMERS, stageTotals } from "../src/store/stage-timers.ts";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: { requests: { type: "string", default: "2000" }, clients: { type: "string", default: "64" }, rounds: { type: "string", default: "2" }, only: { type: "string" } },
});
const N = Number(args.requests);
const CLIENTS = Number(args.clients);
const ROUNDS = Number(args.rounds);
const KINDS = ["pod_create", "binding", "event_create", "status_patch", "lease_create", "lease_renewal"] as const;
type Kind = (typeof KINDS)[number];

const microTime = () => new Date().toISOString().replace("Z", "000Z");
const seconds = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/** The request of kind `kind` for object i of round `round`: [method, path, body, content type, expected status]. */
function request(kind: Kind, round: number, i: number): [string, string, unknown, string, number] {
  const pod = `p${round}-${i}`;
  const node = `node-${i % 500}`;
  const lease = `l${round}-${i}`;
  switch (kind) {
    case "pod_create":
      return ["POST", "/api/v1/namespaces/default/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: pod, labels: { app: "bench", workload: String(i % 6) } }, spec: { containers: [{ name: "app", image: "busybox", resources: { requests: { cpu: "100m", memory: "128Mi" } } }] } }, "application/json", 201];
    case "binding":
      return ["POST", `/api/v1/namespaces/default/pods/${pod}/binding`, { apiVersion: "v1", kind: "Binding", metadata: { name: pod }, target: { apiVersion: "v1", kind: "Node", name: node } }, "application/json", 201];
    case "event_create":
      return ["POST", "/api/v1/namespaces/default/events", { apiVersion: "v1", kind: "Event", metadata: { name: `${pod}.${i.toString(16)}` }, involvedObject: { apiVersion: "v1", kind: "Pod", namespace: "default", name: pod }, reason: "Scheduled", message: `Successfully assigned default/${pod} to ${node}`, type: "Normal", source: { component: "default-scheduler" }, firstTimestamp: seconds(), lastTimestamp: seconds(), count: 1, reportingComponent: "default-scheduler" }, "application/json", 201];
    case "status_patch": {
      const now = seconds();
      const conditions = ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"].map((type) => ({ type, status: "True", lastTransitionTime: now }));
      const podIP = `10.1.${(i >> 8) & 255}.${i & 255}`;
      const containerStatuses = [{ name: "app", image: "busybox", imageID: `busybox@sha256:${"0".repeat(64)}`, containerID: `containerd://${i.toString(16).padStart(64, "0")}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }];
      return ["PATCH", `/api/v1/namespaces/default/pods/${pod}/status`, { status: { phase: "Running", conditions, hostIP: "10.255.0.1", podIP, podIPs: [{ ip: podIP }], startTime: now, containerStatuses, qosClass: "Burstable" } }, "application/merge-patch+json", 200];
    }
    case "lease_create":
      return ["POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: lease, namespace: "kube-node-lease" }, spec: { holderIdentity: lease, leaseDurationSeconds: 40, renewTime: microTime() } }, "application/json", 201];
    case "lease_renewal":
      return ["PATCH", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${lease}`, { spec: { renewTime: microTime() } }, "application/merge-patch+json", 200];
  }
}

const dir = mkdtempSync(join(tmpdir(), "kubun-api-kinds-"));
try {
  const store = new SqliteStore(join(dir, "db.sqlite"));
  const storage = new Storage(store);
  await ensureDefaultNamespaces(storage);
  const app = createApp({ storage, now: () => new Date(), auth: new StaticTokens().add("t", { name: "admin", groups: ["system:masters"] }) });
  const auth = { authorization: "Bearer t", "user-agent": "Bun/1.4.5" };
  const watch = await app.request(`/api/v1/pods?watch=1&resourceVersion=${store.revision}`, { headers: auth });
  const reader = watch.body!.getReader();
  void (async () => {
    while (!(await reader.read()).done);
  })();
  const only = args.only as Kind | undefined;
  const out: Record<string, unknown> = {};
  // With --only, the kinds it needs before it (pods to bind, leases to renew) run unmeasured, no others.
  const NEEDS: Record<Kind, Kind[]> = { pod_create: [], binding: ["pod_create"], event_create: [], status_patch: ["pod_create", "binding"], lease_create: [], lease_renewal: ["lease_create"] };
  const kinds = only ? KINDS.filter((k) => k === only || NEEDS[only].includes(k)) : KINDS;
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of kinds) {
      let next = 0;
      const cpu0 = process.cpuUsage();
      const stages0 = STAGE_TIMERS ? Object.fromEntries(Object.entries(stageTotals().stages).map(([k, v]) => [k, { ms: v.ms }])) : {};
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (next < N) {
            const [method, path, body, type, want] = request(kind, round, next++);
            const res = await app.request(path, { method, body: JSON.stringify(body), headers: { ...auth, "content-type": type } });
            const text = await res.text();
            if (res.status !== want) throw new Error(`${kind} ${path}: ${res.status} ${text.slice(0, 300)}`);
          }
        }),
      );
      const cpu = process.cpuUsage(cpu0);
      if (round === ROUNDS - 1 && (!only || only === kind)) {
        out[`${kind}_us`] = Math.round((cpu.user + cpu.system) / N);
        // With KUBUN_STAGE_TIMERS set: each stage's µs per request of this kind.
        if (STAGE_TIMERS) {
          const stages = stageTotals().stages;
          out[`${kind}_stages_us`] = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Number((((v.ms - (stages0[k]?.ms ?? 0)) * 1000) / N).toFixed(1))]));
        }
      }
    }
  }
  await reader.cancel();
  console.log(JSON.stringify({ requests: N, clients: CLIENTS, rounds: ROUNDS, ...out }));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
