// bun bench/subtrees.ts — the CPU and the memory effect of the store's part sharing
// (src/store/subtrees.ts) per stored object, without a server: N pods like the end-to-end
// bench's (its workloads, kubectl-like managedFields, defaults) stored as the store stores them
// (their JSON parsed, then shared), then the same N pods bound (nodeName, PodScheduled) and then
// given the status a kubelet writes (the fake kubelets' status). Each phase is timed as
// JSON.parse alone and as JSON.parse + share, so the sharing's own µs per object is the
// difference, measured in the same run. The memory effect: distinct part objects (objects and
// arrays) the N running pods hold after sharing, against the count with no sharing at all.
//   bun bench/subtrees.ts [--pods 10000] [--rounds 5] [--baseline PATH]
//     --baseline: another subtrees.ts (e.g. main's) measured in the same run, for a before/after.
// Run it under `flock /tmp/kubun-bench.lock`; the last line is one JSON object.
import { heapStats } from "bun:jsc";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { SubtreeTable } from "../src/store/subtrees.ts";
import { WORKLOADS } from "./fake-objects.ts";

type Json = any;
interface Table {
  share<T>(root: T): T;
}

const { values: args } = parseArgs({
  options: { pods: { type: "string", default: "10000" }, rounds: { type: "string", default: "5" }, baseline: { type: "string" } },
});
const N = Number(args.pods);
const ROUNDS = Number(args.rounds);

const now = "2026-12-06T23:50:00Z";
const managedFields = (status: boolean) => [
  { manager: "kubectl-create", operation: "Update", apiVersion: "v1", time: now, fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": { ".": {}, "f:app": {} } }, "f:spec": { "f:containers": { 'k:{"name":"app"}': { ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {}, "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {} } }, "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {} } } },
  ...(status ? [{ manager: "kubelet", operation: "Update", apiVersion: "v1", time: now, fieldsType: "FieldsV1", subresource: "status", fieldsV1: { "f:status": { "f:conditions": { ".": {} }, "f:containerStatuses": {}, "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:podIPs": {}, "f:startTime": {} } } }] : []),
];

function pod(i: number, phase: 0 | 1 | 2): Json {
  const w = WORKLOADS[i % WORKLOADS.length];
  const app = `w${i % WORKLOADS.length}`;
  const containers = w.containers.map((c: Json) => ({ ...c, imagePullPolicy: "Always", terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" }));
  const spec: Json = {
    ...w,
    containers,
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    dnsPolicy: "ClusterFirst",
    securityContext: {},
    schedulerName: "default-scheduler",
    enableServiceLinks: true,
    preemptionPolicy: "PreemptLowerPriority",
    priority: 0,
    tolerations: [...(w.tolerations ?? []), { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }, { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
  };
  if (phase >= 1) spec.nodeName = `node-${i % 5000}`;
  const podIP = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const status: Json =
    phase === 0 ? { phase: "Pending", qosClass: "Burstable" }
    : phase === 1 ? { phase: "Pending", conditions: [{ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now }], qosClass: "Burstable" }
    : {
        phase: "Running",
        conditions: ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"].map((type) => ({ type, status: "True", lastProbeTime: null, lastTransitionTime: now })),
        hostIP: "10.255.0.1",
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: now,
        containerStatuses: containers.map((c: Json) => ({ name: c.name, image: c.image, imageID: `${c.image}@sha256:${"0".repeat(64)}`, containerID: `containerd://${i.toString(16).padStart(64, "0")}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } })),
        qosClass: "Burstable",
      };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `pod-${i}`, namespace: "bench", uid: crypto.randomUUID(), resourceVersion: String(1000 + i * 3 + phase), generation: 1, creationTimestamp: now, labels: { app }, managedFields: managedFields(phase === 2) },
    spec,
    status,
  };
}

const phases = [0, 1, 2].map((p) => Array.from({ length: N }, (_, i) => JSON.stringify(pod(i, p as 0 | 1 | 2))));

function distinctParts(roots: Json[]): number {
  const seen = new Set<object>();
  const walk = (v: Json) => {
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    for (const k in v) walk(v[k]);
  };
  for (const r of roots) walk(r);
  return seen.size;
}

/** Nanoseconds per object of each phase: parse only, and parse + share (a fresh table each round). */
function measure(make: (() => Table) | null): { us: number[]; parts: number; heapMb: number } {
  const best = [Infinity, Infinity, Infinity];
  let kept: Json[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const table = make?.();
    for (let p = 0; p < 3; p++) {
      const texts = phases[p]!;
      const out = new Array(N);
      const t0 = Bun.nanoseconds();
      if (table) for (let i = 0; i < N; i++) out[i] = table.share(JSON.parse(texts[i]!));
      else for (let i = 0; i < N; i++) out[i] = JSON.parse(texts[i]!);
      const us = (Bun.nanoseconds() - t0) / 1000 / N;
      best[p] = Math.min(best[p]!, us);
      if (p === 2) kept = out;
    }
  }
  // The heap with the last round's running pods (and its table) alive, after a full collection.
  let table: Table | undefined = make?.();
  if (table) for (let i = 0; i < N; i++) kept[i] = table.share(JSON.parse(phases[2]![i]!));
  Bun.gc(true);
  const heapMb = heapStats().heapSize / 1e6;
  table = undefined;
  return { us: best, parts: distinctParts(kept), heapMb };
}

const variants: [string, (() => Table) | null][] = [["parse_only", null], ["current", () => new SubtreeTable()]];
if (args.baseline) {
  const mod = await import(resolve(args.baseline));
  variants.push(["baseline", () => new mod.SubtreeTable()]);
}
const result: Record<string, unknown> = { pods: N, rounds: ROUNDS };
const results = new Map<string, { us: number[]; parts: number; heapMb: number }>();
for (const [name, make] of variants) results.set(name, measure(make));
// Once more in reverse order, keeping the better figure: the machine is shared.
for (const [name, make] of [...variants].reverse()) {
  const again = measure(make);
  const prev = results.get(name)!;
  results.set(name, { us: prev.us.map((u, i) => Math.min(u, again.us[i]!)), parts: again.parts, heapMb: Math.min(prev.heapMb, again.heapMb) });
}
const parse = results.get("parse_only")!;
const names = ["create", "bind", "status"];
for (const [name, r] of results) {
  const row = names.map((p, i) => `${p} ${r.us[i]!.toFixed(2)} µs` + (name === "parse_only" ? "" : ` (share ${(r.us[i]! - parse.us[i]!).toFixed(2)})`));
  console.log(`${name.padEnd(10)} ${row.join(", ")}; ${N} running pods: ${r.parts} distinct parts, heap ${r.heapMb.toFixed(1)} MB`);
  result[`${name}_us`] = r.us.map((u) => Number(u.toFixed(3)));
  if (name !== "parse_only") result[`${name}_share_us`] = r.us.map((u, i) => Number((u - parse.us[i]!).toFixed(3)));
  result[`${name}_parts`] = r.parts;
  result[`${name}_heap_mb`] = Number(r.heapMb.toFixed(1));
}
console.log(JSON.stringify(result));
