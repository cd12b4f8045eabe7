import { describe, expect, test } from "bun:test";
import type { StatusCause } from "../meta.ts";
import { validateCelRules } from "./cel-validation.ts";
import type { JSONSchemaProps } from "./types.ts";

const schema: JSONSchemaProps = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      "x-kubernetes-validations": [
        { rule: "self.minReplicas <= self.maxReplicas", message: "minReplicas must not exceed maxReplicas", fieldPath: ".minReplicas" },
        { rule: "!has(self.image) || self.image.startsWith('registry.example/')", messageExpression: "'image ' + self.image + ' is not from registry.example'" },
        { rule: "self.tags.isSorted()", reason: "FieldValueForbidden" },
        { rule: "self.tags.all(t, t.matches('^[a-z]+$'))" },
        { rule: "self.name == oldSelf.name", message: "name is immutable" },
        { rule: "self.minReplicas + self.tags.size() < 100 && self.ports.exists(p, p.port == 80)" },
      ],
      properties: {
        name: { type: "string" },
        image: { type: "string" },
        minReplicas: { type: "integer" },
        maxReplicas: { type: "integer" },
        tags: { type: "array", items: { type: "string" } },
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: { type: "object", properties: { name: { type: "string" }, port: { type: "integer", "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "port is immutable" }] } } },
        },
      },
    },
  },
};

const good = { name: "a", image: "registry.example/web", minReplicas: 1, maxReplicas: 3, tags: ["a", "b"], ports: [{ name: "http", port: 80 }] };
const run = (spec: object, old?: object) => {
  const errs: StatusCause[] = [];
  validateCelRules(errs, "", schema, { spec }, old ? { spec: old } : undefined, old !== undefined);
  return errs.map((e) => `${e.field}: ${e.message}`);
};

describe("x-kubernetes-validations", () => {
  test.each([
    ["a valid object", good, undefined, []],
    ["message and fieldPath", { ...good, minReplicas: 5 }, undefined, ['spec.minReplicas: Invalid value: "object": minReplicas must not exceed maxReplicas']],
    ["messageExpression", { ...good, image: "docker.io/x" }, undefined, ['spec: Invalid value: "object": image docker.io/x is not from registry.example']],
    ["reason and the default message; a list library function", { ...good, tags: ["b", "a"] }, undefined, ["spec: Forbidden: failed rule: self.tags.isSorted()"]],
    ["a macro", { ...good, tags: ["a", "b1"] }, undefined, ['spec: Invalid value: "object": failed rule: self.tags.all(t, t.matches(\'^[a-z]+$\'))']],
    ["transition rules are skipped on create", { ...good, name: "b" }, undefined, []],
    ["a transition rule on update", { ...good, name: "b" }, good, ['spec: Invalid value: "object": name is immutable']],
    ["old values correlate by map-list keys", { ...good, ports: [{ name: "http", port: 81 }, { name: "new", port: 80 }] }, good, ['spec.ports[0].port: Invalid value: "integer": port is immutable']],
    ["an evaluation error is reported, not thrown", { ...good, maxReplicas: undefined }, undefined, [expect.stringContaining("spec.minReplicas: Invalid value: \"object\": rule evaluation error:")]],
  ])("%s", (_n, spec, old, want) => {
    expect(run(spec as object, old)).toEqual(want as string[]);
  });
});
