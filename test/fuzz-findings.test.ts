// The fuzz run's plain cases: bad PodDisruptionBudgets and NetworkPolicies (each a 422 naming
// the field, nothing stored), and what earlier fuzz runs found (each was a 5xx or a write that
// should not have happened), sent in-process to the API app on a fresh SQLite store each.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BAD_NETWORK_POLICIES, BAD_PDBS } from "./fuzz-cases.ts";
import { FUZZ_TOKEN as TOKEN, freshFuzzApp } from "./helpers/fuzz-app.ts";

const tmp = mkdtempSync(join(tmpdir(), "kubun-fuzz-cases-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Bad PodDisruptionBudgets: each a 422 naming the field, nothing stored.
describe("bad PodDisruptionBudgets", () => {
  const pdbs = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";
  test.each(BAD_PDBS)("%s", async (_what, spec, field) => {
    const { store, app } = await freshFuzzApp(tmp, "pdb-");
    const revision = store.revision;
    const body = JSON.stringify({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "bad" }, spec });
    const res = await app.request(pdbs, { method: "POST", body, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });
    expect(res.status).toBe(422);
    const status = (await res.json()) as { reason: string; details: { causes: { field: string }[] } };
    expect(status.reason).toBe("Invalid");
    expect(status.details.causes.map((c) => c.field)).toContain(field);
    await store.settled();
    expect(store.revision).toBe(revision);
    await store.close();
  });
});

// What earlier fuzz runs found, kept as plain cases: each was a 5xx or a write that should not have happened.
describe("fuzz findings", () => {
  const cm = "/api/v1/namespaces/default/configmaps";
  test.each([
    ["a malformed escape in the path", "GET", `${cm}/%ff%fe`, undefined, undefined, 400],
    ["a lone % in the namespace", "GET", "/api/v1/namespaces/%/configmaps", undefined, undefined, 400],
    ["apply of a YAML !!binary scalar", "PATCH", `${cm}/seed?fieldManager=f`, "!!binary AAAA", "application/apply-patch+yaml", 400],
    ["apply without metadata, apiVersion or kind", "PATCH", `${cm}/seed?fieldManager=f`, "kind: ConfigMap", "application/apply-patch+yaml", 400],
    ["DeleteOptions whose dryRun isn't a list", "DELETE", `${cm}/seed`, '{"dryRun":5}', "application/json", 400],
    ["DeleteOptions whose preconditions aren't an object", "DELETE", `${cm}/seed`, '{"preconditions":"x"}', "application/json", 400],
    ["another kind of object as DeleteOptions", "DELETE", `${cm}/seed`, '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x"}}', "application/json", 400],
    ["deletecollection with another kind as DeleteOptions", "DELETE", cm, '{"kind":"ReplicaSet","apiVersion":"apps/v1"}', "application/json", 400],
    ["delete with an unknown dryRun value", "DELETE", `${cm}/seed?dryRun=Some`, undefined, undefined, 400],
    ["a warning naming a non-ASCII field", "PATCH", `${cm}/seed?dryRun=All`, '{"🙂\u202e":{"x":1}}', "application/merge-patch+json", 200],
    ["DeleteOptions as kubectl sends it, dry run", "DELETE", `${cm}/seed?dryRun=All`, '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background"}', "application/json", 200],
  ])("%s", async (what, method, path, body, contentType, want) => {
    const { store, app } = await freshFuzzApp(tmp, "case-");
    const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    expect((await app.request(cm, { method: "POST", headers, body: '{"metadata":{"name":"seed"},"data":{"k":"v"}}' })).status).toBe(201);
    const revision = store.revision;
    const res = await app.request(path, { method, body, headers: { ...headers, "content-type": contentType ?? "application/json" } });
    expect(res.status).toBe(want);
    if (what.includes("warning")) expect(res.headers.get("warning")).toContain("\\ud83d\\ude42\\u202e");
    if (want >= 400) expect(((await res.json()) as { kind: string }).kind).toBe("Status");
    await store.settled();
    expect(store.revision).toBe(revision);
    await store.close();
  });
});

describe("bad NetworkPolicies", () => {
  test.each(BAD_NETWORK_POLICIES.map(([spec, field], i) => [i, field, spec] as const))("#%d: 422 naming %s", async (i, field, spec) => {
    const { store, app } = await freshFuzzApp(tmp, "np-");
    const res = await app.request("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: `bad-${i}` }, spec }),
    });
    const status = (await res.json()) as { kind: string; reason: string; details?: { causes?: { field: string }[] } };
    expect(res.status).toBe(422);
    expect(status.reason).toBe("Invalid");
    expect(status.details?.causes?.map((c) => c.field)).toContain(field);
    await store.close();
  });
});
