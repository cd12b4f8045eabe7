// The one-walk diff (field-diff.ts) must give exactly what comparing both objects' full field sets
// gives, on realistic objects put through random edits: values changed, fields added and
// dropped, list items added, dropped and re-keyed, maps turned into leaves and back.
import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../apis/meta.ts";
import { changedFields, changedFieldsBySets } from "./managed-fields.ts";
import type { FieldSet } from "./field-set.ts";
import { XorShift32 } from "../../scheduler/tie-break.ts";

const pod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", uid: "u1", resourceVersion: "7", labels: { app: "web", tier: "fe" }, annotations: { a: "1" }, finalizers: ["x/y"] },
  spec: {
    containers: [
      { name: "app", image: "busybox:1", ports: [{ containerPort: 80, protocol: "TCP" }, { containerPort: 53, protocol: "UDP" }], env: [{ name: "A", value: "1" }, { name: "B", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }], resources: { requests: { cpu: "100m" }, limits: { memory: "64Mi" } }, volumeMounts: [{ name: "data", mountPath: "/data" }], command: ["httpd", "-f"] },
      { name: "side", image: "busybox:1", args: ["sleep", "1d"] },
    ],
    volumes: [{ name: "data", emptyDir: {} }, { name: "cfg", configMap: { name: "cfg", items: [{ key: "k", path: "p" }] } }],
    tolerations: [{ key: "t", operator: "Exists", effect: "NoSchedule" }],
    nodeSelector: { disk: "ssd" },
    restartPolicy: "Always",
  },
  status: {
    phase: "Running",
    conditions: [{ type: "Ready", status: "True" }, { type: "PodScheduled", status: "True" }],
    podIPs: [{ ip: "10.42.0.5" }],
    containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: { startedAt: "t" } } }],
  },
};

const deployment: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default", labels: { app: "web" } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "busybox:1", ports: [{ containerPort: 80 }] }] } },
  },
  status: { replicas: 3, conditions: [{ type: "Available", status: "True" }] },
};

type Json = unknown;

function edit(value: Json, rng: XorShift32, depth = 0): Json {
  const pick = rng.next() % 100;
  if (Array.isArray(value)) {
    const out = [...value];
    if (out.length > 0 && pick < 30) out.splice(rng.next() % out.length, 1);
    else if (out.length > 0 && pick < 55) out.push(edit(out[rng.next() % out.length], rng, depth + 1));
    else if (out.length > 0) {
      const i = rng.next() % out.length;
      out[i] = edit(out[i], rng, depth + 1);
    } else out.push(`v${rng.next() % 3}`);
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = { ...(value as Record<string, Json>) };
    const keys = Object.keys(out);
    if (keys.length > 0 && pick < 15) delete out[keys[rng.next() % keys.length]!];
    else if (pick < 25) out[["name", "image", "x", "containerPort", "protocol", "type", "status"][rng.next() % 7]!] = `n${rng.next() % 3}`;
    else if (pick < 30 && depth > 0) return `leaf${rng.next() % 2}`;
    else if (keys.length > 0) {
      const k = keys[rng.next() % keys.length]!;
      out[k] = edit(out[k], rng, depth + 1);
    }
    return out;
  }
  if (pick < 10 && depth > 1) return { now: "a map" };
  if (typeof value === "number") return value + (rng.next() % 2);
  return pick < 50 ? value : `${String(value)}${rng.next() % 2}`;
}

const keysOf = (s: FieldSet) => [...s].map((p) => p.join("/")).sort();

describe("changedFields walks once and agrees with the field-set definition", () => {
  test.each([
    ["Pod", pod],
    ["Deployment", deployment],
  ])("%s under random edits", (kind, base) => {
    const rng = new XorShift32(kind.length * 7919);
    for (let i = 0; i < 1500; i++) {
      const old = i % 10 === 0 ? undefined : (edit(base, rng) as KubeObject);
      let updated = (old ?? base) as Json;
      for (let k = 1 + (rng.next() % 3); k > 0; k--) updated = edit(updated, rng);
      const subresource = rng.next() % 3 === 0 ? "status" : undefined;
      const fast = changedFields(old, updated as KubeObject, kind, subresource);
      const slow = changedFieldsBySets(old, updated as KubeObject, kind, subresource);
      expect({ i, changed: keysOf(fast.changed), removed: keysOf(fast.removed) }).toEqual({ i, changed: keysOf(slow.changed), removed: keysOf(slow.removed) });
    }
  });
});
