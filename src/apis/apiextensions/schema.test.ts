import { describe, expect, test } from "bun:test";
import type { StatusCause } from "../meta.ts";
import { applySchemaDefaults, prune } from "./schema-prune.ts";
import { validateCustomResource, validateValue } from "./schema-validation.ts";
import { evalJSONPath, parseJSONPath } from "./printer.ts";
import type { JSONSchemaProps } from "./types.ts";

const schema: JSONSchemaProps = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      required: ["image"],
      properties: {
        image: { type: "string", minLength: 1 },
        replicas: { type: "integer", minimum: 0, maximum: 10, default: 1 },
        color: { type: "string", enum: ["red", "green"], default: "green" },
        port: { "x-kubernetes-int-or-string": true },
        email: { type: "string", format: "email" },
        name: { type: "string", pattern: "^[a-z]+$" },
        tags: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set", maxItems: 3 },
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: { type: "object", properties: { name: { type: "string" }, port: { type: "integer", default: 80 } } },
        },
        labels: { type: "object", additionalProperties: { type: "string" } },
        raw: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
        template: { type: "object", "x-kubernetes-embedded-resource": true, properties: { spec: { type: "object" } } },
        choice: { type: "string", anyOf: [{ pattern: "^a" }, { pattern: "^b" }] },
      },
    },
  },
};

const causes = (obj: Record<string, unknown>) => {
  const errs: StatusCause[] = [];
  validateCustomResource(errs, schema, { apiVersion: "example.com/v1", kind: "Website", metadata: { name: "x" }, ...obj });
  return errs.map((c) => `${c.field}: ${c.message}`);
};

describe("validateCustomResource", () => {
  test.each([
    ["a valid object", { spec: { image: "nginx", replicas: 2, port: "http" } }, []],
    ["required", { spec: {} }, ["spec.image: Required value"]],
    ["type", { spec: { image: "x", replicas: "two" } }, ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']],
    ["minimum", { spec: { image: "x", replicas: -1 } }, ["spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"]],
    ["maximum", { spec: { image: "x", replicas: 11 } }, ["spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"]],
    ["enum", { spec: { image: "x", color: "pink" } }, ['spec.color: Unsupported value: "pink": supported values: "red", "green"']],
    ["minLength", { spec: { image: "" } }, ['spec.image: Invalid value: "": spec.image in body should be at least 1 chars long']],
    ["pattern", { spec: { image: "x", name: "A1" } }, ["spec.name: Invalid value: \"A1\": spec.name in body should match '^[a-z]+$'"]],
    ["format", { spec: { image: "x", email: "nope" } }, ['spec.email: Invalid value: "nope": spec.email in body must be of type email: "nope"']],
    ["int-or-string", { spec: { image: "x", port: true } }, ['spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"']],
    ["set duplicates", { spec: { image: "x", tags: ["a", "a"] } }, ['spec.tags[1]: Duplicate value: "a"']],
    ["maxItems", { spec: { image: "x", tags: ["a", "b", "c", "d"] } }, ["spec.tags: Too many: 4: must have at most 3 items"]],
    ["map keys", { spec: { image: "x", ports: [{ name: "a" }, { name: "a" }] } }, ['spec.ports[1]: Duplicate value: {"name":"a"}']],
    ["additionalProperties", { spec: { image: "x", labels: { a: 1 } } }, ['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']],
    ["anyOf", { spec: { image: "x", choice: "c" } }, ['spec.choice: Invalid value: "c": spec.choice in body must be of anyOf the given schemas']],
    ["null where not nullable", { spec: { image: null } }, ['spec.image: Invalid value: "null": spec.image in body must be of type string: "null"']],
  ])("%s", (_name, obj, want) => {
    expect(causes(obj)).toEqual(want);
  });
});

describe("prune", () => {
  test("drops unknown fields and reports them; keeps preserved and embedded object meta", () => {
    const obj: Record<string, unknown> = {
      apiVersion: "example.com/v1",
      kind: "Website",
      metadata: { name: "x", labels: { a: "b" } },
      spec: {
        image: "x",
        extra: 1,
        ports: [{ name: "a", bogus: true }],
        raw: { anything: { goes: 1 } },
        template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {}, junk: 1 },
        labels: { free: "form" },
      },
      status: { whatever: 1 },
    };
    expect(prune(obj, schema)).toEqual(["spec.extra", "spec.ports[0].bogus", "spec.template.junk", "status"]);
    expect(obj).toEqual({
      apiVersion: "example.com/v1",
      kind: "Website",
      metadata: { name: "x", labels: { a: "b" } },
      spec: {
        image: "x",
        ports: [{ name: "a" }],
        raw: { anything: { goes: 1 } },
        template: { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} },
        labels: { free: "form" },
      },
    });
  });
});

describe("applySchemaDefaults", () => {
  test("fills missing fields, in lists too, and leaves set ones alone", () => {
    const obj: { spec: Record<string, unknown> } = { spec: { image: "x", color: "red", ports: [{ name: "a" }, { name: "b", port: 8080 }] } };
    applySchemaDefaults(obj, schema);
    expect(obj.spec).toEqual({ image: "x", color: "red", replicas: 1, ports: [{ name: "a", port: 80 }, { name: "b", port: 8080 }] });
  });

  test("does not create a missing parent object", () => {
    const obj: Record<string, unknown> = {};
    applySchemaDefaults(obj, schema);
    expect(obj).toEqual({});
  });
});

describe("JSONPath for printer columns", () => {
  const obj = { spec: { replicas: 3 }, status: { conditions: [{ type: "Ready", status: "True" }, { type: "Synced", status: "False" }] }, metadata: { labels: { "app.kubernetes.io/name": "web" } } };
  test.each([
    [".spec.replicas", [3]],
    ['.status.conditions[?(@.type=="Ready")].status', ["True"]],
    [".status.conditions[1].type", ["Synced"]],
    [".status.conditions[*].type", ["Ready", "Synced"]],
    [".metadata.labels['app.kubernetes.io/name']", ["web"]],
    [".spec.missing", []],
  ])("%s", (path, want) => {
    expect(evalJSONPath(parseJSONPath(path), obj)).toEqual(want);
  });

  test("refuses what it cannot evaluate", () => {
    expect(() => parseJSONPath(".spec..x")).toThrow();
    expect(() => parseJSONPath("spec")).toThrow();
  });
});

test("validateValue reports the root as <root>", () => {
  const errs: StatusCause[] = [];
  validateValue(errs, "", { type: "object" }, "x");
  expect(errs[0]!.message).toBe('Invalid value: "string": <root> in body must be of type object: "string"');
});
