import { expect, test } from "bun:test";
import type { StatusCause } from "../meta.ts";
import { validateBinding, validatePolicy } from "./policy-validation.ts";

const rules = [{ apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE"], resources: ["deployments"] }];
const policy = (spec: Record<string, unknown>) => ({ metadata: { name: "p" }, spec: { matchConstraints: { resourceRules: rules }, ...spec } });
const causes = (f: (errs: StatusCause[], o: Record<string, unknown>) => void, o: Record<string, unknown>) => {
  const errs: StatusCause[] = [];
  f(errs, o);
  return errs.map((e) => `${e.field}: ${e.message}`);
};

test.each<[string, Record<string, unknown>, string[]]>([
  ["a valid policy", policy({ validations: [{ expression: "object.spec.replicas <= 5" }] }), []],
  ["variables may be read after they are declared", policy({ variables: [{ name: "a", expression: "1" }, { name: "b", expression: "variables.a + 1" }], validations: [{ expression: "variables.b == 2" }] }), []],
  ["not before", policy({ variables: [{ name: "b", expression: "variables.a + 1" }, { name: "a", expression: "1" }], validations: [{ expression: "true" }] }), [`spec.variables[0].expression: Invalid value: "variables.a + 1": compilation failed: ERROR: <input>:1:1: undefined field 'a'`]],
  ["comprehension variables are not undeclared", policy({ validations: [{ expression: "object.spec.template.spec.containers.all(c, c.image != '')" }] }), []],
  ["params and namespaceObject are declared", policy({ validations: [{ expression: "params == null || namespaceObject.metadata.name != ''" }] }), []],
  ["an audit annotation key makes a qualified name with the policy's", policy({ auditAnnotations: [{ key: "a b", valueExpression: "'x'" }] }), ["spec.auditAnnotations[0].key: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]],
])("%s", (_, obj, want) => {
  expect(causes(validatePolicy, obj)).toEqual(want);
});

test.each<[string, Record<string, unknown>, string[]]>([
  ["a valid binding", { spec: { policyName: "p", validationActions: ["Deny", "Audit"] } }, []],
  ["duplicate actions", { spec: { policyName: "p", validationActions: ["Audit", "Audit"] } }, ['spec.validationActions[1]: Duplicate value: "Audit"']],
  ["an unknown action", { spec: { policyName: "p", validationActions: ["Log"] } }, ['spec.validationActions[0]: Unsupported value: "Log": supported values: "Audit", "Deny", "Warn"']],
])("binding: %s", (_, obj, want) => {
  expect(causes(validateBinding, obj)).toEqual(want);
});
