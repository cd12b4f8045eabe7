import { describe, expect, test } from "bun:test";
import protobuf from "protobufjs";
import { parse as parseYaml } from "yaml";
import { definitions } from "./definitions.ts";
import { encodeOpenapiV2, negotiateOpenapiV2, openapiV2Protobuf, openapiV2Schema } from "./v2-protobuf.ts";
import { openapiV2 } from "./v2.ts";

type Json = Record<string, any>;

// Decodes gnostic's message back to Swagger JSON, driven by the message types alone (not by the
// encoder's tables), the way gnostic's ToRawInfo does: named lists become maps, x-* extensions
// come back from their YAML, single-member oneof wrappers and TypeItem/ItemsItem unwrap.
const MAP_FIELDS = new Set(["additional_properties", "path", "response_code"]);
const camel = (name: string) => (name === "_ref" ? "$ref" : name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));

function toJson(type: protobuf.Type, message: Json): unknown {
  if (type.name === "Any") return parseYaml(message.yaml);
  if (type.name === "TypeItem") return message.value.length === 1 ? message.value[0] : message.value;
  if (type.name === "ItemsItem") return message.schema.length === 1 ? toJson(type.fields.schema!.resolvedType as protobuf.Type, message.schema[0]) : undefined;
  if (type.name === "StringArray") return message.value ?? [];
  if (type.oneofsArray.length === 1 && type.fieldsArray.every((f) => f.partOf)) {
    const member = type.fieldsArray.find((f) => message[f.name] !== undefined)!;
    return member.resolvedType ? toJson(member.resolvedType as protobuf.Type, message[member.name]) : message[member.name];
  }
  const out: Json = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === undefined) continue;
    const sub = field.resolvedType as protobuf.Type | null;
    if (field.name === "vendor_extension") {
      for (const ext of value) out[ext.name] = toJson(sub!.fields.value!.resolvedType as protobuf.Type, ext.value);
    } else if (MAP_FIELDS.has(field.name) && sub?.fields.name) {
      // Definitions, Properties, Paths, Responses …: the message is the map itself.
      const entries = value.map((e: Json) => [e.name, toJson(sub.fields.value!.resolvedType as protobuf.Type, e.value)]);
      return Object.fromEntries(entries);
    } else {
      const convert = (v: unknown) => (sub ? toJson(sub, v as Json) : v);
      out[camel(field.name)] = field.repeated ? value.map(convert) : convert(value);
    }
  }
  return out;
}

function decode(bytes: Uint8Array): Json {
  const type = openapiV2Schema().lookupType("openapi.v2.Document");
  const message = type.toObject(type.decode(bytes), { longs: Number, defaults: false }) as Json;
  return toJson(type, message) as Json;
}

describe("openapi v2 as gnostic protobuf", () => {
  const served = () => decode(openapiV2Protobuf());
  const json = openapiV2() as Json;

  test("decodes back to the JSON document, definition by definition", () => {
    const doc = served();
    expect(Object.keys(doc.definitions).sort()).toEqual(Object.keys(definitions).sort());
    for (const name of Object.keys(definitions)) expect({ name, schema: doc.definitions[name] }).toEqual({ name, schema: json.definitions[name] });
  });

  test("decodes back to the JSON document as a whole: paths, operations, parameters, security", () => {
    // proto3 cannot tell an empty repeated field from an absent one (gnostic drops `parameters: []` too).
    const dropEmptyLists = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(dropEmptyLists)
      : value && typeof value === "object" ? Object.fromEntries(Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [k, dropEmptyLists(v)]))
      : value;
    expect(dropEmptyLists(served())).toEqual(dropEmptyLists(json));
    expect(served().security).toEqual([{ BearerToken: [] }]);
  });

  test("kinds carry x-kubernetes-group-version-kind as gnostic YAML, as kubectl looks them up", () => {
    const type = openapiV2Schema().lookupType("openapi.v2.Document");
    const raw = type.toObject(type.decode(openapiV2Protobuf())) as Json;
    const deployment = raw.definitions.additional_properties.find((d: Json) => d.name === "io.k8s.api.apps.v1.Deployment");
    const gvk = deployment.value.vendor_extension.find((e: Json) => e.name === "x-kubernetes-group-version-kind");
    expect(parseYaml(gvk.value.yaml)).toEqual([{ group: "apps", kind: "Deployment", version: "v1" }]);
    expect(deployment.value.type.value).toEqual(["object"]);
    const spec = deployment.value.properties.additional_properties.find((p: Json) => p.name === "spec");
    expect(spec.value._ref).toBe("#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
  });

  test("arrays have exactly one item schema and maps their value schema (what kube-openapi's parser requires)", () => {
    const type = openapiV2Schema().lookupType("openapi.v2.Document");
    const raw = type.toObject(type.decode(openapiV2Protobuf())) as Json;
    const find = (list: Json[], name: string) => list.find((e) => e.name === name)!.value;
    const podSpec = find(raw.definitions.additional_properties, "io.k8s.api.core.v1.PodSpec");
    const containers = find(podSpec.properties.additional_properties, "containers");
    expect(containers.items.schema).toEqual([{ _ref: "#/definitions/io.k8s.api.core.v1.Container" }]);
    const nodeSelector = find(podSpec.properties.additional_properties, "nodeSelector");
    expect(nodeSelector.additional_properties.schema.type.value).toEqual(["string"]);
  });

  test("is encoded once", () => {
    expect(openapiV2Protobuf()).toBe(openapiV2Protobuf());
  });

  test("a field the encoding has no place for is an error, not silently dropped", () => {
    expect(() => encodeOpenapiV2({ swagger: "2.0", definitions: { X: { type: "object", nullable: true } } })).toThrow('no field for "nullable"');
  });
});

describe("negotiateOpenapiV2", () => {
  test.each([
    ["application/com.github.proto-openapi.spec.v2@v1.0+protobuf", "protobuf"],
    ["application/com.github.proto-openapi.spec.v2.v1.0+protobuf", "protobuf"],
    ["application/json", "json"],
    ["", "json"],
    ["*/*", "json"],
    ["application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf", "protobuf"],
    ["application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.1, application/json", "json"],
    ["application/yaml", undefined],
    ["application/json;q=0", undefined],
  ])("%p → %p", (accept, want) => {
    expect(negotiateOpenapiV2(accept)).toBe(want as ReturnType<typeof negotiateOpenapiV2>);
  });
});
