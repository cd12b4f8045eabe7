import { describe, expect, test } from "bun:test";
import { StatusError } from "../../apis/errors.ts";
import { strategicMerge } from "./strategic-merge.ts";

const deployment = (containers: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default", labels: { app: "web" } },
  spec: { replicas: 1, template: { metadata: { labels: { app: "web" } }, spec: { containers, ...extra } } },
});
const podSpec = (obj: any) => obj.spec.template.spec;
const names = (list: any[]) => list.map((c) => c.name);

describe("strategicMerge: what kubectl sends", () => {
  test("client-side apply with $setElementOrder keeps ports and changes the image", () => {
    const live = deployment([{ name: "web", image: "a", ports: [{ containerPort: 80 }] }]);
    const patch = {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "web" }], containers: [{ name: "web", image: "b" }] } } },
    };
    const out = strategicMerge(live, patch, "Deployment") as any;
    expect(podSpec(out).containers).toEqual([{ name: "web", image: "b", ports: [{ containerPort: 80 }] }]);
    expect(Object.keys(podSpec(out))).toEqual(["containers"]);
  });

  test("apply adding a sidecar and an annotation", () => {
    const live = deployment([{ name: "web", image: "a" }]);
    const patch = {
      metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"x":1}\n' } },
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "web" }, { name: "side" }],
            containers: [{ name: "side", image: "s" }],
          },
        },
      },
    };
    const out = strategicMerge(live, patch, "Deployment") as any;
    expect(names(podSpec(out).containers)).toEqual(["web", "side"]);
    expect(out.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).toBe('{"x":1}\n');
  });

  test("apply removing a container with a $patch: delete item", () => {
    const live = deployment([{ name: "web", image: "a" }, { name: "side", image: "s" }]);
    const patch = {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "web" }], containers: [{ $patch: "delete", name: "side" }] } } },
    };
    expect(names(podSpec(strategicMerge(live, patch, "Deployment")).containers)).toEqual(["web"]);
  });

  test("kubectl set image", () => {
    const live = deployment([{ name: "nginx", image: "nginx:1.1", ports: [{ containerPort: 80 }] }, { name: "log", image: "busybox" }]);
    const patch = { spec: { template: { spec: { containers: [{ image: "nginx:1.2", name: "nginx" }] } } } };
    const out = strategicMerge(live, patch, "Deployment") as any;
    expect(podSpec(out).containers).toEqual([
      { name: "nginx", image: "nginx:1.2", ports: [{ containerPort: 80 }] },
      { name: "log", image: "busybox" },
    ]);
  });

  test("kubectl rollout restart adds the restartedAt template annotation", () => {
    const at = "2025-01-01T00:00:00Z";
    const patch = { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": at } } } } };
    const out = strategicMerge(deployment([{ name: "web", image: "a" }]), patch, "Deployment") as any;
    expect(out.spec.template.metadata).toEqual({ labels: { app: "web" }, annotations: { "kubectl.kubernetes.io/restartedAt": at } });
  });

  test("kubectl cordon and uncordon", () => {
    const node = { kind: "Node", metadata: { name: "n1" }, spec: { podCIDR: "10.0.1.0/24", taints: [{ key: "a", effect: "NoSchedule" }] } };
    const cordoned = strategicMerge(node, { spec: { unschedulable: true } }, "Node") as any;
    expect(cordoned.spec).toEqual({ ...node.spec, unschedulable: true });
    expect((strategicMerge(cordoned, { spec: { unschedulable: null } }, "Node") as any).spec).toEqual(node.spec);
  });

  test("labels and annotations merge; null removes a label", () => {
    const live = { metadata: { name: "cm", labels: { a: "1", b: "2" } }, data: { k: "v" } };
    const out = strategicMerge(live, { metadata: { labels: { b: null, c: "3" }, annotations: { n: "x" } } }, "ConfigMap") as any;
    expect(out.metadata).toEqual({ name: "cm", labels: { a: "1", c: "3" }, annotations: { n: "x" } });
  });
});

describe("strategicMerge: list semantics", () => {
  const env = (list: unknown[]) => deployment([{ name: "web", image: "a", env: list }]);
  const envOf = (obj: any) => podSpec(obj).containers[0].env;
  const patchEnv = (list: unknown[], order?: unknown[]) => ({
    spec: { template: { spec: { containers: [{ name: "web", env: list, ...(order ? { "$setElementOrder/env": order } : {}) }] } } },
  });
  const n = (name: string, value?: string) => (value === undefined ? { name } : { name, value });

  test.each([
    ["merges an item by key", [n("A", "1"), n("B", "2")], patchEnv([n("B", "3")]), [n("A", "1"), n("B", "3")]],
    // Without $setElementOrder Kubernetes puts a new item ahead of the server-only items.
    ["new item without order goes first", [n("A"), n("B")], patchEnv([n("C")]), [n("C"), n("A"), n("B")]],
    ["new item after a patched one", [n("A"), n("B"), n("C")], patchEnv([n("B", "x"), n("D")]), [n("A"), n("B", "x"), n("D"), n("C")]],
    // The example of the "preserve order in strategic merge patch" design proposal.
    ["design proposal example", [n("B"), n("C"), n("A")], patchEnv([n("A", "'"), n("B", "'"), n("D")]), [n("C"), n("A", "'"), n("B", "'"), n("D")]],
    ["$setElementOrder reorders without content", [n("A"), n("B")], { spec: { template: { spec: { containers: [{ name: "web", "$setElementOrder/env": [n("B"), n("A")] }] } } } }, [n("B"), n("A")]],
    ["$setElementOrder adds at its place", [n("A"), n("C")], patchEnv([n("B", "b")], [n("A"), n("B"), n("C")]), [n("A"), n("B", "b"), n("C")]],
    ["server-only items keep their live position", [n("A"), n("X"), n("B")], patchEnv([n("B", "2")], [n("A"), n("B")]), [n("A"), n("X"), n("B", "2")]],
    ["$patch: delete removes by key", [n("A"), n("B")], patchEnv([{ name: "A", $patch: "delete" }]), [n("B")]],
    ["$patch: delete of a missing item is a no-op", [n("A")], patchEnv([{ name: "Z", $patch: "delete" }]), [n("A")]],
    ["$patch: replace replaces the list", [n("A"), n("B")], patchEnv([n("C"), { $patch: "replace" }]), [n("C")]],
    ["$patch: merge in an item is the default merge", [n("A", "1")], patchEnv([{ name: "A", value: "2", $patch: "merge" }]), [n("A", "2")]],
    ["null inside an item deletes that field", [{ name: "A", value: "1", valueFrom: { x: 1 } }], patchEnv([{ name: "A", valueFrom: null }]), [n("A", "1")]],
  ])("%s", (_name, live, patch, want) => {
    expect(envOf(strategicMerge(env(live), patch, "Deployment"))).toEqual(want);
  });

  const pod = (metadata: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({ kind: "Pod", metadata: { name: "p", ...metadata }, spec });

  test.each([
    ["finalizers are a set union", { finalizers: ["a", "b"] }, { metadata: { finalizers: ["b", "c"] } }, ["a", "b", "c"]],
    ["$deleteFromPrimitiveList removes values", { finalizers: ["a", "b", "c"] }, { metadata: { "$deleteFromPrimitiveList/finalizers": ["b", "z"] } }, ["a", "c"]],
    [
      "$setElementOrder with $deleteFromPrimitiveList",
      { finalizers: ["a", "b", "c"] },
      { metadata: { "$setElementOrder/finalizers": ["c", "a"], "$deleteFromPrimitiveList/finalizers": ["b"] } },
      ["c", "a"],
    ],
    ["$deleteFromPrimitiveList on a missing list", {}, { metadata: { "$deleteFromPrimitiveList/finalizers": ["b"] } }, undefined],
    ["null deletes the whole list", { finalizers: ["a"] }, { metadata: { finalizers: null } }, undefined],
  ])("%s", (_name, metadata, patch, want) => {
    expect((strategicMerge(pod(metadata), patch, "Pod") as any).metadata.finalizers).toEqual(want);
  });

  test.each([
    ["tolerations have no merge key: replaced", "Pod", { spec: { tolerations: [{ key: "a" }] } }, { spec: { tolerations: [{ key: "b" }] } }, { tolerations: [{ key: "b" }] }],
    ["envFrom is atomic", "Pod", { spec: { containers: [{ name: "c", envFrom: [{ prefix: "A" }] }] } }, { spec: { containers: [{ name: "c", envFrom: [{ prefix: "B" }] }] } }, { containers: [{ name: "c", envFrom: [{ prefix: "B" }] }] }],
    ["volumeMounts merge by mountPath", "Pod", { spec: { containers: [{ name: "c", volumeMounts: [{ mountPath: "/a", name: "x" }] }] } }, { spec: { containers: [{ name: "c", volumeMounts: [{ mountPath: "/b", name: "y" }] }] } }, { containers: [{ name: "c", volumeMounts: [{ mountPath: "/b", name: "y" }, { mountPath: "/a", name: "x" }] }] }],
    ["node taints are replaced", "Node", { spec: { taints: [{ key: "a" }] } }, { spec: { taints: [{ key: "b" }] } }, { taints: [{ key: "b" }] }],
    ["node podCIDRs are a set", "Node", { spec: { podCIDRs: ["10.0.0.0/24"] } }, { spec: { podCIDRs: ["10.0.0.0/24", "fd00::/64"] } }, { podCIDRs: ["10.0.0.0/24", "fd00::/64"] }],
    ["service ports merge by port", "Service", { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } }, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] }],
    ["an unknown kind replaces lists", "Widget", { spec: { items: [{ name: "a", v: 1 }] } }, { spec: { items: [{ name: "a" }] } }, { items: [{ name: "a" }] }],
  ])("%s", (_name, kind, live, patch, want) => {
    expect((strategicMerge({ metadata: { name: "x" }, ...live }, patch, kind) as any).spec).toEqual(want);
  });

  test("conditions in status merge by type", () => {
    const live = { metadata: { name: "p" }, status: { phase: "Pending", conditions: [{ type: "Ready", status: "False" }, { type: "PodScheduled", status: "True" }] } };
    const out = strategicMerge(live, { status: { conditions: [{ type: "Ready", status: "True" }] } }, "Pod") as any;
    expect(out.status.conditions).toEqual([{ type: "Ready", status: "True" }, { type: "PodScheduled", status: "True" }]);
  });

  test("ownerReferences merge by uid", () => {
    const live = { metadata: { name: "p", ownerReferences: [{ uid: "1", name: "a" }] } };
    const out = strategicMerge(live, { metadata: { ownerReferences: [{ uid: "2", name: "b" }] } }, "ReplicaSet") as any;
    expect(out.metadata.ownerReferences.map((o: any) => o.uid)).toEqual(["2", "1"]);
  });
});

describe("strategicMerge: map directives", () => {
  const cm = () => ({ metadata: { name: "c", labels: { a: "1", b: "2" } }, data: { x: "1" } });

  test.each([
    ["$patch: replace swaps the map", { metadata: { labels: { $patch: "replace", c: "3" } } }, { name: "c", labels: { c: "3" } }],
    ["$patch: delete empties the map", { metadata: { labels: { $patch: "delete" } } }, { name: "c", labels: {} }],
    ["$patch: merge merges", { metadata: { labels: { $patch: "merge", c: "3" } } }, { name: "c", labels: { a: "1", b: "2", c: "3" } }],
    ["$retainKeys drops unlisted keys", { metadata: { labels: { $retainKeys: ["b", "c"], c: "3" } } }, { name: "c", labels: { b: "2", c: "3" } }],
  ])("%s", (_name, patch, want) => {
    expect((strategicMerge(cm(), patch, "ConfigMap") as any).metadata).toEqual(want);
  });

  test("$retainKeys switches a volume source (the union case it exists for)", () => {
    const live = { metadata: { name: "p" }, spec: { volumes: [{ name: "v", emptyDir: {} }] } };
    const patch = { spec: { volumes: [{ name: "v", $retainKeys: ["hostPath", "name"], hostPath: { path: "/x" } }] } };
    expect((strategicMerge(live, patch, "Pod") as any).spec.volumes).toEqual([{ name: "v", hostPath: { path: "/x" } }]);
  });

  test("directives and nulls in values the live object lacks never reach the result", () => {
    const live = { metadata: { name: "p" }, spec: {} };
    const patch = {
      metadata: { annotations: { gone: null, kept: "y" } },
      spec: {
        "$setElementOrder/initContainers": [{ name: "i" }],
        initContainers: [{ name: "i", image: "x", env: [{ name: "A", $patch: "delete" }] }],
        securityContext: { $patch: "replace", runAsUser: 1 },
        containers: [{ name: "c", image: "y", resources: { limits: { cpu: "1", memory: null } } }],
      },
    };
    expect(strategicMerge(live, patch, "Pod")).toEqual({
      metadata: { name: "p", annotations: { kept: "y" } },
      spec: {
        initContainers: [{ name: "i", image: "x", env: [] }],
        securityContext: { runAsUser: 1 },
        containers: [{ name: "c", image: "y", resources: { limits: { cpu: "1" } } }],
      },
    });
  });

  test("a value of another type replaces the live value", () => {
    const out = strategicMerge({ metadata: { name: "x" }, data: { a: "1" } }, { data: ["z"] }, "ConfigMap") as any;
    expect(out.data).toEqual(["z"]);
  });

  test("inputs are not mutated", () => {
    const live = deployment([{ name: "web", image: "a" }]);
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "web" }], containers: [{ name: "web", image: "b" }] } } } };
    const before = [structuredClone(live), structuredClone(patch)];
    strategicMerge(live, patch, "Deployment");
    expect([live, patch]).toEqual(before);
  });
});

describe("strategicMerge errors", () => {
  const failure = (live: unknown, patch: unknown, kind = "Pod"): StatusError => {
    try {
      strategicMerge(live, patch, kind);
    } catch (err) {
      if (err instanceof StatusError) return err;
      throw err;
    }
    throw new Error("expected strategicMerge to throw");
  };
  const live = { metadata: { name: "p", labels: { a: "1" } }, spec: { containers: [{ name: "c" }] } };

  test.each([
    ["a patch that is not an object", ["x"], 400, "invalid JSON document"],
    ["an item without its merge key", { spec: { containers: [{ image: "x" }] } }, 400, "does not contain declared merge key: name"],
    ["an unknown $patch directive", { metadata: { labels: { $patch: "frobnicate" } } }, 400, "unknown patch type"],
    ["an unknown $patch in a list item", { spec: { containers: [{ name: "c", $patch: "frobnicate" }] } }, 400, "unknown patch type"],
    ["$setElementOrder that is not a list", { spec: { "$setElementOrder/containers": "c" } }, 400, "setElementOrder"],
    ["a patch list out of $setElementOrder's order", { spec: { "$setElementOrder/containers": [{ name: "a" }, { name: "b" }], containers: [{ name: "b" }, { name: "a" }] } }, 400, "doesn't match $setElementOrder"],
    ["$deleteFromPrimitiveList that is not a list", { metadata: { "$deleteFromPrimitiveList/finalizers": "x" } }, 400, "primitive list"],
    ["$retainKeys that is not a list", { metadata: { labels: { $retainKeys: "a" } } }, 400, "retainKeys"],
    ["patch content outside $retainKeys", { metadata: { labels: { $retainKeys: ["a"], b: "2" } } }, 422, "doesn't match retainKeys"],
    ["a list of lists", { metadata: { finalizers: [["a"]] } }, 422, "lists of lists"],
    ["mixed maps and primitives in a merged list", { metadata: { finalizers: ["a", { b: 1 }] } }, 400, "not identical"],
  ])("%s", (_name, patch, code, message) => {
    const err = failure(live, patch);
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
  });
});

test("a PodDisruptionBudget's selector is replaced whole (patchStrategy replace); its conditions merge by type", () => {
  const live = { spec: { minAvailable: 1, selector: { matchLabels: { a: "1" } } }, status: { conditions: [{ type: "X", status: "True" }] } };
  const patch = { spec: { selector: { matchLabels: { b: "2" } } }, status: { conditions: [{ type: "DisruptionAllowed", status: "True" }] } };
  expect(strategicMerge(live, patch, "PodDisruptionBudget")).toEqual({
    spec: { minAvailable: 1, selector: { matchLabels: { b: "2" } } },
    status: { conditions: [{ type: "DisruptionAllowed", status: "True" }, { type: "X", status: "True" }] },
  });
});
