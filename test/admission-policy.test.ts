// ValidatingAdmissionPolicy through stock kubectl against a real server: the upstream docs'
// example (replicas <= 5 bound with Deny), Warn (the Warning header kubectl prints) and Audit
// (the validation_failure annotation in the audit log) actions, a binding's namespaceSelector,
// messageExpression, variables, reason, auditAnnotations, failurePolicy on evaluation errors,
// DELETE, and policies refused with a 422 naming the field.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, succeeded, type TestServer } from "./helpers/server.ts";

let s: TestServer;
const dir = mkdtempSync(join(tmpdir(), "kubun-vap-test-"));
const logPath = join(dir, "audit.log");

beforeAll(async () => {
  const policy = join(dir, "policy.yaml");
  writeFileSync(policy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: None\n    nonResourceURLs: ['/api*', '/openapi*', '/version']\n  - level: Metadata\n");
  s = await startTestServer({ audit: { logPath, policyFile: policy } });
});

afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ok = async (args: string[], stdin?: string) => succeeded(await s.kubectl(args, { stdin }), args);

async function fails(args: string[], stdin?: string): Promise<string> {
  const r = await s.kubectl(args, { stdin });
  expect(r.code).not.toBe(0);
  return r.stderr;
}

const DEPLOYMENTS = { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"] };

function policy(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name }, spec: { matchConstraints: { resourceRules: [DEPLOYMENTS] }, ...spec } };
}

function binding(name: string, policyName: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name }, spec: { policyName, validationActions: ["Deny"], ...spec } };
}

const list = (...items: unknown[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });

const withObjects = <T>(yaml: string, body: () => Promise<T>) => s.withApplied(yaml, body);

function deployment(name: string, replicas: number, namespace = "default", labels: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "local/busybox:1" }] } } },
  });
}

const events = () =>
  readFileSync(logPath, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

test("the upstream docs' example: replicas <= 5 bound with Deny refuses 6 replicas and admits 5", async () => {
  const objs = list(
    policy("demo-policy.example.com", { failurePolicy: "Fail", validations: [{ expression: "object.spec.replicas <= 5" }] }),
    binding("demo-binding-test.example.com", "demo-policy.example.com"),
  );
  await withObjects(objs, async () => {
    const err = await fails(["create", "-f", "-"], deployment("six", 6));
    expect(err).toContain(`The deployments "six" is invalid: : ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5`);
    await ok(["create", "-f", "-"], deployment("five", 5));
    const scaled = await fails(["patch", "deployment", "five", "--type=merge", "-p", '{"spec":{"replicas":7}}']);
    expect(scaled).toContain("denied request: failed expression: object.spec.replicas <= 5");
    const res = await s.api("/apis/apps/v1/namespaces/default/deployments", { method: "POST", body: deployment("seven", 7), headers: { "content-type": "application/json" } });
    const status = (await res.json()) as Record<string, any>;
    expect(res.status).toBe(422);
    expect(status).toMatchObject({
      reason: "Invalid",
      message: `deployments.apps "seven" is forbidden: ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5`,
      details: { name: "seven", group: "apps", kind: "deployments", causes: [{ message: "ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5" }] },
    });
    await ok(["delete", "deployment", "five"]);
  });
});

test("a policy on deployments/scale sees the autoscaling/v1 Scale of `kubectl scale`", async () => {
  const scalePolicy = policy("scale-cap", {
    matchConstraints: { resourceRules: [{ ...DEPLOYMENTS, operations: ["UPDATE"], resources: ["deployments/scale"] }] },
    validations: [{ expression: "object.kind == 'Scale' && object.spec.replicas <= 4", message: "scale to at most 4" }],
  });
  await ok(["create", "-f", "-"], deployment("scaled", 1));
  await withObjects(list(scalePolicy, binding("scale-cap-b", "scale-cap")), async () => {
    expect(await fails(["scale", "deployment", "scaled", "--replicas=5"])).toContain("ValidatingAdmissionPolicy 'scale-cap' with binding 'scale-cap-b' denied request: scale to at most 4");
    await ok(["scale", "deployment", "scaled", "--replicas=4"]);
    await ok(["patch", "deployment", "scaled", "--type=merge", "-p", '{"spec":{"replicas":9}}']); // not the scale subresource
  });
  await ok(["delete", "deployment", "scaled"]);
});

test("Warn prints kubectl's Warning and admits; Audit writes the validation_failure annotation into the audit log", async () => {
  const objs = list(
    policy("max-replicas", { validations: [{ expression: "object.spec.replicas <= 2", messageExpression: "'replicas ' + string(object.spec.replicas) + ' > 2'" }] }),
    binding("max-replicas-warn", "max-replicas", { validationActions: ["Warn", "Audit"] }),
  );
  await withObjects(objs, async () => {
    const r = await ok(["create", "-f", "-"], deployment("warned", 3));
    expect(r.stderr).toContain("Warning: Validation failed for ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-warn': replicas 3 > 2");
    const created = events().find((e) => e.verb === "create" && e.objectRef?.name === "warned");
    expect(JSON.parse(created.annotations["validation.policy.admission.k8s.io/validation_failure"])).toEqual([
      { message: "replicas 3 > 2", policy: "max-replicas", binding: "max-replicas-warn", expressionIndex: 0, validationActions: ["Warn", "Audit"] },
    ]);
    await ok(["delete", "deployment", "warned"]);
  });
});

test("a binding's namespaceSelector limits it to labelled namespaces; variables, reason and auditAnnotations", async () => {
  await ok(["create", "namespace", "vap-enforced"]);
  await ok(["label", "namespace", "vap-enforced", "policy=enforced"]);
  await ok(["create", "namespace", "vap-free"]);
  const objs = list(
    policy("team-label", {
      variables: [{ name: "team", expression: "has(object.metadata.labels) && 'team' in object.metadata.labels ? object.metadata.labels['team'] : ''" }],
      validations: [{ expression: "variables.team != ''", message: "every deployment needs a team label", reason: "Forbidden" }],
      auditAnnotations: [{ key: "team", valueExpression: "variables.team == '' ? null : 'team is ' + variables.team" }],
    }),
    binding("team-label-enforced", "team-label", { matchResources: { namespaceSelector: { matchLabels: { policy: "enforced" } } } }),
  );
  await withObjects(objs, async () => {
    const err = await fails(["create", "-f", "-"], deployment("nolabel", 1, "vap-enforced"));
    expect(err).toContain(`deployments.apps "nolabel" is forbidden: ValidatingAdmissionPolicy 'team-label' with binding 'team-label-enforced' denied request: every deployment needs a team label`);
    await ok(["create", "-f", "-"], deployment("nolabel", 1, "vap-free"));
    await ok(["create", "-f", "-"], deployment("labelled", 1, "vap-enforced", { team: "blue" }));
    const created = events().find((e) => e.verb === "create" && e.objectRef?.name === "labelled");
    expect(created.annotations["team-label/team"]).toBe("team is blue");
  });
  await ok(["delete", "namespace", "vap-enforced", "vap-free", "--wait=false"]);
});

test("failurePolicy: an expression that errors refuses under Fail and is ignored under Ignore; DELETE sees oldObject", async () => {
  const erroring = { validations: [{ expression: "object.spec.template.metadata.annotations['missing'] == 'x'" }] };
  await withObjects(list(policy("errs-fail", { ...erroring, failurePolicy: "Fail" }), binding("errs-fail-b", "errs-fail")), async () => {
    const err = await fails(["create", "-f", "-"], deployment("erroring", 1));
    expect(err).toContain("ValidatingAdmissionPolicy 'errs-fail' with binding 'errs-fail-b' denied request: expression 'object.spec.template.metadata.annotations['missing'] == 'x'' resulted in error:");
  });
  await withObjects(list(policy("errs-ignore", { ...erroring, failurePolicy: "Ignore" }), binding("errs-ignore-b", "errs-ignore")), async () => {
    await ok(["create", "-f", "-"], deployment("erroring", 1));
  });
  const keep = policy("keep", {
    matchConstraints: { resourceRules: [{ ...DEPLOYMENTS, operations: ["DELETE"], resourceNames: ["erroring"] }] },
    validations: [{ expression: "object == null && oldObject.metadata.name != 'erroring'", message: "this one stays" }],
  });
  await withObjects(list(keep, binding("keep-b", "keep")), async () => {
    const err = await fails(["delete", "deployment", "erroring"]);
    expect(err).toContain("denied request: this one stays");
  });
  await ok(["delete", "deployment", "erroring"]);
});

test("params from a ConfigMap: by name in the binding's namespace, by selector in the request's, and parameterNotFoundAction", async () => {
  await ok(["create", "namespace", "vap-params"]);
  await ok(["create", "configmap", "limits", "-n", "vap-params", "--from-literal=maxReplicas=3"]);
  const parameterized = policy("param-max", {
    paramKind: { apiVersion: "v1", kind: "ConfigMap" },
    validations: [{ expression: "object.spec.replicas <= int(params.data.maxReplicas)", messageExpression: "'at most ' + params.data.maxReplicas + ' replicas'" }],
  });
  const byName = binding("param-max-by-name", "param-max", { paramRef: { name: "limits", namespace: "vap-params", parameterNotFoundAction: "Deny" } });
  await withObjects(list(parameterized, byName), async () => {
    expect(await fails(["create", "-f", "-"], deployment("p4", 4))).toContain("ValidatingAdmissionPolicy 'param-max' with binding 'param-max-by-name' denied request: at most 3 replicas");
    await ok(["create", "-f", "-"], deployment("p3", 3));
    await ok(["delete", "deployment", "p3"]);
    await ok(["get", "validatingadmissionpolicybinding", "param-max-by-name"]);
    expect((await ok(["get", "validatingadmissionpolicybindings"])).stdout).toMatch(/param-max-by-name\s+param-max\s+vap-params\/limits\s+/);
  });
  // By selector, in the request's namespace; none there: Deny refuses, Allow admits.
  const bySelector = (action: string) => binding("param-max-by-label", "param-max", { paramRef: { selector: { matchLabels: { limits: "yes" } }, parameterNotFoundAction: action } });
  await withObjects(list(parameterized, bySelector("Deny")), async () => {
    expect(await fails(["create", "-f", "-"], deployment("p1", 1, "default"))).toContain("denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction");
    await ok(["label", "configmap", "limits", "-n", "vap-params", "limits=yes"]);
    expect(await fails(["create", "-f", "-"], deployment("p5", 5, "vap-params"))).toContain("denied request: at most 3 replicas");
    await ok(["create", "-f", "-"], deployment("p2", 2, "vap-params"));
  });
  await withObjects(list(parameterized, bySelector("Allow")), async () => {
    await ok(["create", "-f", "-"], deployment("p9", 9, "default"));
    await ok(["delete", "deployment", "p9"]);
  });
  await ok(["delete", "namespace", "vap-params", "--wait=false"]);
});

test("kubectl get lists policies and bindings with upstream's columns", async () => {
  await withObjects(list(policy("listed", { validations: [{ expression: "true" }, { expression: "true" }] }), binding("listed-b", "listed")), async () => {
    expect((await ok(["get", "validatingadmissionpolicies"])).stdout).toMatch(/^NAME\s+VALIDATIONS\s+PARAMKIND\s+AGE\n(.*\n)*listed\s+2\s+<unset>\s+/);
    expect((await ok(["get", "validatingadmissionpolicybindings"])).stdout).toMatch(/^NAME\s+POLICYNAME\s+PARAMREF\s+AGE\n(.*\n)*listed-b\s+listed\s+<unset>\s+/);
    const got = JSON.parse((await ok(["get", "validatingadmissionpolicy", "listed", "-o", "json"])).stdout);
    expect(got.spec).toMatchObject({ failurePolicy: "Fail", matchConstraints: { matchPolicy: "Equivalent", namespaceSelector: {}, objectSelector: {} } });
    expect((await ok(["explain", "validatingadmissionpolicy.spec.validations.reason"])).stdout).toContain("FIELD: reason <string>");
  });
});

const BAD: [string, Record<string, unknown>, string][] = [
  ["no validations or auditAnnotations", policy("bad", {}), "spec.validations: Required value: validations or auditAnnotations must contain at least one item"],
  ["no matchConstraints", { ...policy("bad", { validations: [{ expression: "true" }] }), spec: { validations: [{ expression: "true" }] } }, "spec.matchConstraints: Required value"],
  ["an expression that does not compile", policy("bad", { validations: [{ expression: "object.spec.replicas <=" }] }), 'spec.validations[0].expression: Invalid value: "object.spec.replicas <=": compilation failed:'],
  ["an undeclared variable", policy("bad", { validations: [{ expression: "self.x == 1" }] }), "undeclared reference to 'self' (in container '')"],
  ["an undefined composited variable", policy("bad", { validations: [{ expression: "variables.nope" }] }), "spec.validations[0].expression: Invalid value: \"variables.nope\": compilation failed: ERROR: <input>:1:1: undefined field 'nope'"],
  ["the authorizer", policy("bad", { validations: [{ expression: "authorizer.requestResource.check('get').allowed()" }] }), "the `authorizer` variable is not supported by kubun"],
  ["nested comprehensions", policy("bad", { validations: [{ expression: "object.spec.template.spec.containers.all(c, object.spec.template.spec.containers.exists(d, d.name == c.name))" }] }), "estimated rule cost exceeds budget"],
  ["a reason of Teapot", policy("bad", { validations: [{ expression: "true", reason: "Teapot" }] }), 'spec.validations[0].reason: Unsupported value: "Teapot"'],
  ["a message with a line break", policy("bad", { validations: [{ expression: "true", message: "a\nb" }] }), "spec.validations[0].message: Invalid value"],
  ["failurePolicy Maybe", policy("bad", { validations: [{ expression: "true" }], failurePolicy: "Maybe" }), 'spec.failurePolicy: Unsupported value: "Maybe"'],
  ["a paramKind without a kind", policy("bad", { validations: [{ expression: "true" }], paramKind: { apiVersion: "v1" } }), "spec.paramKind.kind: Required value"],
  ["a variable that is not a CEL identifier", policy("bad", { validations: [{ expression: "true" }], variables: [{ name: "a-b", expression: "1" }] }), "spec.variables[0].name: Invalid value: \"a-b\": name is not a valid CEL identifier"],
  ["no resourceRules", policy("bad", { validations: [{ expression: "true" }], matchConstraints: {} }), "spec.matchConstraints.resourceRules: Required value"],
  ["a duplicate matchCondition name", policy("bad", { validations: [{ expression: "true" }], matchConditions: [{ name: "a", expression: "true" }, { name: "a", expression: "true" }] }), 'spec.matchConditions[1].name: Duplicate value: "a"'],
  ["a binding with both Deny and Warn", binding("bad", "p", { validationActions: ["Deny", "Warn"] }), "spec.validationActions: Invalid value"],
  ["a binding without actions", binding("bad", "p", { validationActions: [] }), "spec.validationActions: Required value"],
  ["a binding without a policyName", binding("bad", "", {}), "spec.policyName: Required value"],
  ["a paramRef without parameterNotFoundAction", binding("bad", "p", { paramRef: { name: "x" } }), "spec.paramRef.parameterNotFoundAction: Required value"],
  ["a paramRef with both name and selector", binding("bad", "p", { paramRef: { name: "x", selector: {}, parameterNotFoundAction: "Deny" } }), "spec.paramRef.name: Forbidden: name and selector are mutually exclusive"],
  ["a paramRef with neither", binding("bad", "p", { paramRef: { parameterNotFoundAction: "Deny" } }), "spec.paramRef: Required value: one of name or selector must be specified"],
];

test.each(BAD)("%s is refused with a 422 naming the field", async (_, obj, message) => {
  const resource = obj.kind === "ValidatingAdmissionPolicy" ? "validatingadmissionpolicies" : "validatingadmissionpolicybindings";
  const res = await s.api(`/apis/admissionregistration.k8s.io/v1/${resource}`, { method: "POST", body: JSON.stringify(obj), headers: { "content-type": "application/json" } });
  const status = (await res.json()) as { reason: string; message: string };
  expect(res.status).toBe(422);
  expect(status.reason).toBe("Invalid");
  expect(status.message).toContain(message);
});
