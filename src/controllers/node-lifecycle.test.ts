// The node lifecycle controller's sync against seeded caches, a fake client and a test clock.
import { expect, test } from "bun:test";
import { fakeControllerContext } from "../../test/helpers/fake-controller-context.ts";
import type { Node, Pod } from "../apis/index.ts";
import { newNodeLifecycleController } from "./node-lifecycle.ts";

const T0 = Date.parse("2025-01-01T00:00:00Z");
const readyNode = (name: string): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, resourceVersion: "5" },
  status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: "2025-01-01T00:00:00Z", lastTransitionTime: "2025-01-01T00:00:00Z" }] },
});
const podOn = (name: string, nodeName: string): Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "ns", uid: `uid-${name}` }, spec: { nodeName, containers: [] } });

function setup() {
  let t = T0;
  const fake = fakeControllerContext(() => new Date(t));
  const controller = newNodeLifecycleController(fake.ctx, { nodeMonitorGracePeriodSeconds: 40 });
  return { ...fake, controller, advance: (ms: number) => (t += ms) };
}

test("a node silent past the grace period gets Ready=Unknown", async () => {
  const { controller, client, seed, events, advance } = setup();
  seed("Node", [readyNode("n1")]);
  await controller.sync("n1"); // first seen: alive now
  expect(client.calls).toEqual([]);
  advance(41_000);
  await controller.sync("n1");
  expect(client.calls).toEqual(["updateStatus nodes n1"]);
  const written = client.bodies[0] as Node;
  expect(written.status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "Unknown", lastTransitionTime: "2025-01-01T00:00:41Z" });
  expect(events).toContainEqual({ component: "node-controller", object: "Node/n1", type: "Normal", reason: "NodeNotReady" });
  controller.queue.shutDown();
});

test("pods bound to a node that is gone are force-deleted once it has been missing for the quarantine (40 s)", async () => {
  const { controller, client, seed, advance } = setup();
  seed("Pod", [podOn("p1", "gone"), podOn("p2", "gone"), podOn("p3", "other")]);
  await controller.sync("gone");
  expect(client.calls.filter((c) => c.startsWith("delete"))).toEqual([]);
  advance(39_000);
  await controller.sync("gone");
  expect(client.calls.filter((c) => c.startsWith("delete"))).toEqual([]);
  advance(1_000);
  await controller.sync("gone");
  expect(client.calls.filter((c) => c.startsWith("delete"))).toEqual(["delete pods ns/p1", "delete pods ns/p2"]);
  expect(client.bodies[client.calls.indexOf("delete pods ns/p1")]).toEqual({ gracePeriodSeconds: 0, preconditions: { uid: "uid-p1" } });
  controller.queue.shutDown();
});

test("a node that comes back within the quarantine keeps its pods, and its clock starts over", async () => {
  const { controller, client, seed, advance } = setup();
  seed("Pod", [podOn("p1", "flaky")]);
  await controller.sync("flaky");
  advance(30_000);
  client.objects.set("nodes flaky", readyNode("flaky"));
  await controller.sync("flaky");
  client.objects.delete("nodes flaky");
  advance(30_000);
  await controller.sync("flaky");
  expect(client.calls.filter((c) => c.startsWith("delete"))).toEqual([]);
  controller.queue.shutDown();
});

test("a node the cache has not seen yet but the API has keeps its pods", async () => {
  const { controller, client, seed } = setup();
  seed("Pod", [podOn("p1", "new")]);
  client.objects.set("nodes new", readyNode("new"));
  await controller.sync("new");
  expect(client.calls).toEqual([]);
});

/** Feeds an event to the shared informer of `kind` as its watch would (handlers run). */
function deliver(fake: ReturnType<typeof setup>, kind: string, type: "ADDED" | "MODIFIED", object: object) {
  const informer = fake.ctx.informers.informerFor(kind) as unknown as { apply(e: { type: string; object: object }): void };
  informer.apply({ type, object });
}

test("the node's Lease in kube-node-lease is its heartbeat, read from the one shared Lease informer; other Leases are not", () => {
  const fake = setup();
  const lease = (namespace: string, name: string) => ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { namespace, name, resourceVersion: "7" }, spec: { renewTime: "2025-01-01T00:00:00.000000Z" } });
  deliver(fake, "Lease", "ADDED", lease("kube-system", "kube-scheduler"));
  expect(fake.controller.queue.len()).toBe(0);
  deliver(fake, "Lease", "ADDED", lease("kube-node-lease", "n1"));
  expect(fake.controller.queue.len()).toBe(1);
  fake.controller.queue.shutDown();
});

test("a pod's write brings its node's sync only where that sync acts on pods (node gone, not Ready, or tainted NoExecute)", () => {
  const fake = setup();
  const tainted: Node = { ...readyNode("tainted"), spec: { taints: [{ key: "k", effect: "NoExecute" }] } };
  const notReady: Node = { ...readyNode("down"), status: { conditions: [{ type: "Ready", status: "False" }] } };
  fake.seed("Node", [readyNode("ready"), tainted, notReady]);
  deliver(fake, "Pod", "ADDED", podOn("p1", "ready"));
  expect(fake.controller.queue.len()).toBe(0);
  for (const [i, node] of ["tainted", "down", "missing"].entries()) {
    deliver(fake, "Pod", "ADDED", podOn(`q${i}`, node));
    expect(fake.controller.queue.len()).toBe(i + 1);
  }
  fake.controller.queue.shutDown();
});

test("a Ready node without NoExecute taints leaves its pods alone, terminating ones included", async () => {
  const { controller, client, seed } = setup();
  seed("Node", [readyNode("n1")]);
  seed("Pod", [{ ...podOn("p1", "n1"), metadata: { ...podOn("p1", "n1").metadata, deletionTimestamp: "2025-01-01T00:00:00Z" } }]);
  await controller.sync("n1");
  expect(client.calls).toEqual([]);
  controller.queue.shutDown();
});

test("the periodic pass looks at a healthy node in place, and syncs a node that is gone, silent, tainted or not Ready", async () => {
  const { controller, client, seed, advance } = setup();
  const tainted: Node = { ...readyNode("tainted"), spec: { taints: [{ key: "k", effect: "NoExecute" }] } };
  const notReady: Node = { ...readyNode("down"), status: { conditions: [{ type: "Ready", status: "False" }] } };
  const cordoned: Node = { ...readyNode("cordoned"), spec: { unschedulable: true } };
  seed("Node", [readyNode("ready"), tainted, notReady, cordoned]);
  expect(controller.needsSync("ready")).toBe(false);
  expect(controller.needsSync("tainted")).toBe(true);
  expect(controller.needsSync("down")).toBe(true); // its not-ready taints are missing, and it acts on pods
  expect(controller.needsSync("cordoned")).toBe(true); // the unschedulable taint is missing
  expect(controller.needsSync("missing")).toBe(true);
  expect(client.calls).toEqual([]); // looking writes nothing
  // Its health was noted as a sync notes it: silent past the grace period, it needs its sync, which marks it.
  advance(41_000);
  expect(controller.needsSync("ready")).toBe(true);
  await controller.sync("ready");
  expect(client.calls).toEqual(["updateStatus nodes ready"]);
  controller.queue.shutDown();
});
