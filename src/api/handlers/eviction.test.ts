// pods/eviction against the API in-process on a real SQLite store: budgets refuse with 429 and
// name themselves, allowed evictions spend the budget, mark the pod and delete it gracefully.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../app.ts";
import { StaticTokens } from "../auth.ts";
import { Storage } from "../storage.ts";
import { SqliteStore } from "../../store/index.ts";

type Obj = Record<string, any>;

let tmp: string;
let store: SqliteStore;
let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Obj }>;

beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), "kubun-eviction-"));
  store = new SqliteStore(join(tmp, "state.db"));
  const storage = new Storage(store);
  const auth = new StaticTokens().add("admin", { name: "admin", groups: ["system:masters"] });
  const app = createApp({ storage, now: () => new Date(), auth });
  call = async (method, path, body) => {
    const res = await app.request(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { authorization: "Bearer admin", "content-type": "application/json" } });
    return { status: res.status, body: (await res.json()) as Obj };
  };
  expect((await call("POST", "/api/v1/namespaces", { metadata: { name: "default" } })).status).toBe(201);
});

afterEach(async () => {
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

const PODS = "/api/v1/namespaces/default/pods";
const PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";

async function runningPod(name: string, ready = true, labels: Record<string, string> = { app: "web" }) {
  const created = await call("POST", PODS, { metadata: { name, labels }, spec: { nodeName: "n1", containers: [{ name: "c", image: "local/busybox:1" }], terminationGracePeriodSeconds: 30 } });
  expect(created.status).toBe(201);
  const pod = created.body;
  pod.status = { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] };
  expect((await call("PUT", `${PODS}/${name}/status`, pod)).status).toBe(200);
}

async function budget(name: string, spec: Obj, status: Obj) {
  const created = await call("POST", PDBS, { metadata: { name }, spec });
  expect(created.status).toBe(201);
  const pdb = created.body;
  pdb.status = { observedGeneration: pdb.metadata.generation, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0, ...status };
  const written = await call("PUT", `${PDBS}/${name}/status`, pdb);
  expect(written.status).toBe(200);
}

const evict = (name: string, deleteOptions?: Obj) =>
  call("POST", `${PODS}/${name}/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: "default" }, ...(deleteOptions && { deleteOptions }) });

describe("pods/eviction", () => {
  test("without a budget: the pod gets DisruptionTarget and a graceful delete with the eviction's options", async () => {
    await runningPod("a");
    const res = await evict("a", { gracePeriodSeconds: 7 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: "Status", status: "Success" });
    const pod = (await call("GET", `${PODS}/a`)).body;
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(7);
    expect(pod.status.conditions.find((c: Obj) => c.type === "DisruptionTarget")).toMatchObject({ status: "True", reason: "EvictionByEvictionAPI", message: "Eviction API: evicting" });
  });

  test("a budget with no disruption left answers 429 naming it, and leaves the pod alone", async () => {
    await runningPod("a");
    await budget("web", { minAvailable: 1, selector: { matchLabels: { app: "web" } } }, { currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 });
    const res = await evict("a");
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ reason: "TooManyRequests", message: "Cannot evict pod as it would violate the pod's disruption budget." });
    expect(res.body.details.causes).toEqual([{ reason: "DisruptionBudget", message: "The disruption budget web needs 1 healthy pods and has 1 currently" }]);
    const pod = (await call("GET", `${PODS}/a`)).body;
    expect(pod.metadata.deletionTimestamp).toBeUndefined();
    expect(pod.status.conditions.some((c: Obj) => c.type === "DisruptionTarget")).toBe(false);
  });

  test("an allowed eviction spends the budget and records the pod in disruptedPods; the next is refused", async () => {
    await runningPod("a");
    await runningPod("b");
    await budget("web", { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } }, { currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, disruptionsAllowed: 1 });
    expect((await evict("a")).status).toBe(201);
    const pdb = (await call("GET", `${PDBS}/web`)).body;
    expect(pdb.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status.disruptedPods)).toEqual(["a"]);
    expect(pdb.status.conditions).toEqual([expect.objectContaining({ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" })]);
    expect((await evict("b")).status).toBe(429);
  });

  test("a budget the controller has not seen since its last change answers 429 with retryAfterSeconds", async () => {
    await runningPod("a");
    await budget("web", { minAvailable: 0, selector: { matchLabels: { app: "web" } } }, { disruptionsAllowed: 5, observedGeneration: 0 });
    const res = await evict("a");
    expect(res.status).toBe(429);
    expect(res.body.details.retryAfterSeconds).toBe(10);
    expect(res.body.details.causes[0].message).toBe("The disruption budget web is still being processed by the server.");
  });

  test("unready pods: AlwaysAllow lets them go without spending the budget; IfHealthyBudget only while the budget is met", async () => {
    await runningPod("sick", false);
    await budget("web", { minAvailable: 2, selector: { matchLabels: { app: "web" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" }, { currentHealthy: 1, desiredHealthy: 2 });
    expect((await evict("sick")).status).toBe(201);
    expect((await call("GET", `${PDBS}/web`)).body.status.disruptedPods).toBeUndefined();

    await runningPod("sick2", false, { app: "db" });
    await budget("db", { minAvailable: 2, selector: { matchLabels: { app: "db" } } }, { currentHealthy: 1, desiredHealthy: 2 });
    expect((await evict("sick2")).status).toBe(429);
  });

  test("pending pods are evicted regardless of budgets; dry run changes nothing", async () => {
    const created = await call("POST", PODS, { metadata: { name: "p", labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "x" }] } });
    expect(created.status).toBe(201);
    await runningPod("a");
    await budget("web", { minAvailable: 5, selector: { matchLabels: { app: "web" } } }, { disruptionsAllowed: 1, currentHealthy: 6, desiredHealthy: 5 });
    expect((await evict("a", { dryRun: ["All"] })).status).toBe(201);
    expect((await call("GET", `${PODS}/a`)).body.metadata.deletionTimestamp).toBeUndefined();
    expect((await call("GET", `${PDBS}/web`)).body.status.disruptionsAllowed).toBe(1);
    expect((await evict("p")).status).toBe(201);
    expect((await call("GET", `${PODS}/p`)).status).toBe(404); // unscheduled: deleted at once
  });

  test("two budgets over one pod are refused as upstream; a bad body is a 400; a missing pod a 404", async () => {
    await runningPod("a");
    await budget("one", { minAvailable: 0, selector: { matchLabels: { app: "web" } } }, { disruptionsAllowed: 1 });
    await budget("two", { maxUnavailable: 1, selector: { matchExpressions: [{ key: "app", operator: "Exists" }] } }, { disruptionsAllowed: 1 });
    const two = await evict("a");
    expect(two.status).toBe(500);
    expect(two.body.message).toContain("more than one PodDisruptionBudget");
    const mismatch = await call("POST", `${PODS}/a/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "b" } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toBe("name in URL does not match name in Eviction object");
    expect((await call("POST", `${PODS}/a/eviction`, { apiVersion: "v1", kind: "Pod", metadata: { name: "a" } })).status).toBe(400);
    expect((await evict("nope")).status).toBe(404);
  });
});

describe("PodDisruptionBudget validation", () => {
  test.each([
    ["both minAvailable and maxUnavailable", { minAvailable: 1, maxUnavailable: 1, selector: {} }, "spec", "minAvailable and maxUnavailable cannot be both set"],
    ["a negative minAvailable", { minAvailable: -1 }, "spec.minAvailable", "must be greater than or equal to 0"],
    ["a percent over 100", { maxUnavailable: "150%" }, "spec.maxUnavailable", "must not be greater than 100%"],
    ["a string that is no percent", { minAvailable: "half" }, "spec.minAvailable", "a valid percent string"],
    ["an unknown eviction policy", { minAvailable: 1, unhealthyPodEvictionPolicy: "Sometimes" }, "spec.unhealthyPodEvictionPolicy", "Unsupported value"],
    ["a bad selector operator", { minAvailable: 1, selector: { matchExpressions: [{ key: "a", operator: "Near" }] } }, "spec.selector.matchExpressions[0].operator", "not a valid selector operator"],
  ])("%s is a 422 naming the field", async (_name, spec, field, message) => {
    const res = await call("POST", PDBS, { metadata: { name: "bad" }, spec });
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe("Invalid");
    const cause = res.body.details.causes.find((c: Obj) => c.field === field);
    expect(cause?.message).toContain(message);
    expect((await call("GET", `${PDBS}/bad`)).status).toBe(404);
  });

  test("a new budget starts allowing nothing", async () => {
    const res = await call("POST", PDBS, { metadata: { name: "ok" }, spec: { minAvailable: "50%", selector: { matchLabels: { app: "web" } } } });
    expect(res.status).toBe(201);
    expect(res.body.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
  });
});
