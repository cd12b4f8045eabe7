import { describe, expect, test } from "bun:test";
import { admissionValue } from "../../apis/cel/index.ts";
import type { ValidatingAdmissionPolicy } from "../../apis/admissionregistration/policy.ts";
import { evaluatePolicy } from "./validator.ts";

const policy = (spec: ValidatingAdmissionPolicy["spec"]): ValidatingAdmissionPolicy => ({ metadata: { name: "p" }, spec: { failurePolicy: "Fail", ...spec } });
const env = (object: unknown, oldObject: unknown = null) => ({
  object: admissionValue(object),
  oldObject: admissionValue(oldObject),
  request: admissionValue({ operation: oldObject ? "UPDATE" : "CREATE", userInfo: { username: "alice" } }),
  namespaceObject: admissionValue({ metadata: { name: "ns", labels: { tier: "prod" } } }),
  params: null,
});
const deploy = (replicas: number) => ({ metadata: { name: "d", labels: { team: "blue" } }, spec: { replicas } });

describe("evaluatePolicy", () => {
  test.each([
    ["admits what passes", { validations: [{ expression: "object.spec.replicas <= 5" }] }, deploy(5), []],
    ["denies with the fallback message and reason Invalid", { validations: [{ expression: "object.spec.replicas <= 5" }] }, deploy(6), [{ index: 0, message: "failed expression: object.spec.replicas <= 5", reason: "Invalid" }]],
    ["message and reason", { validations: [{ expression: "false", message: " no ", reason: "Forbidden" as const }] }, deploy(1), [{ index: 0, message: "no", reason: "Forbidden" }]],
    ["messageExpression wins over message", { validations: [{ expression: "false", message: "m", messageExpression: "'got ' + string(object.spec.replicas)" }] }, deploy(7), [{ index: 0, message: "got 7", reason: "Invalid" }]],
    ["a messageExpression that errors falls back", { validations: [{ expression: "false", message: "m", messageExpression: "object.nope" }] }, deploy(7), [{ index: 0, message: "m", reason: "Invalid" }]],
    ["variables compose", { variables: [{ name: "r", expression: "object.spec.replicas" }, { name: "big", expression: "variables.r > 3" }], validations: [{ expression: "!variables.big" }] }, deploy(4), [{ index: 0, message: "failed expression: !variables.big", reason: "Invalid" }]],
    ["a failing variable fails what reads it", { variables: [{ name: "x", expression: "object.nope" }], validations: [{ expression: "variables.x == 1" }, { expression: "true" }] }, deploy(1), [{ index: 0, message: 'composited variable "x" fails to evaluate: field not found: nope' }]],
    ["namespaceObject and request", { validations: [{ expression: "namespaceObject.metadata.labels.tier == 'prod' && request.userInfo.username == 'alice'" }] }, deploy(1), []],
    ["a false matchCondition: nothing to say", { matchConditions: [{ name: "big", expression: "object.spec.replicas > 10" }], validations: [{ expression: "false" }] }, deploy(1), []],
    ["a non-boolean validation is an error", { validations: [{ expression: "object.spec.replicas" }] }, deploy(1), [{ index: 0, message: "expression 'object.spec.replicas' resulted in error: expected a boolean result, got int" }]],
  ])("%s", (_, spec, object, want) => {
    expect(evaluatePolicy(policy(spec), env(object)).decisions).toEqual(want);
  });

  test("failurePolicy Ignore drops evaluation errors but keeps real denials", () => {
    const p = policy({ failurePolicy: "Ignore", validations: [{ expression: "object.nope == 1" }, { expression: "object.spec.replicas < 2" }] });
    expect(evaluatePolicy(p, env(deploy(3))).decisions).toEqual([{ index: 1, message: "failed expression: object.spec.replicas < 2", reason: "Invalid" }]);
  });

  test("a matchCondition error under Fail is a denial carrying the error", () => {
    const p = policy({ matchConditions: [{ name: "m", expression: "object.nope" }], validations: [{ expression: "true" }] });
    expect(evaluatePolicy(p, env(deploy(1))).decisions).toEqual([{ index: -1, message: "expression 'object.nope' resulted in error: field not found: nope" }]);
  });

  test("auditAnnotations: strings are published, null is left out", () => {
    const p = policy({ auditAnnotations: [{ key: "team", valueExpression: "object.metadata.labels.team" }, { key: "none", valueExpression: "null" }] });
    expect(evaluatePolicy(p, env(deploy(1)))).toEqual({ decisions: [], auditAnnotations: [["team", "blue"]] });
  });

  test("oldObject is null on create and the old version on update", () => {
    const p = policy({ validations: [{ expression: "oldObject == null || object.spec.replicas >= oldObject.spec.replicas", message: "no scaling down" }] });
    expect(evaluatePolicy(p, env(deploy(1))).decisions).toEqual([]);
    expect(evaluatePolicy(p, env(deploy(1), deploy(2))).decisions).toEqual([{ index: 0, message: "no scaling down", reason: "Invalid" }]);
  });
});
