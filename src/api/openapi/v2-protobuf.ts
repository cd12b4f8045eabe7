// /openapi/v2 as kube-apiserver serves it to kubectl: the Swagger 2.0 document encoded as
// gnostic's openapi_v2.Document protobuf. kubectl asks for v2 only in this encoding, and needs it
// to validate the items of a `kind: List` client-side (it never leaves a List's validation to the
// server) and to compute client-side apply's strategic merge patches from the schemas.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { stringify as toYaml } from "yaml";
import { openapiV2 } from "./v2.ts";

export const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
/**
 * The spelling kubectl asks for. It is never sent back: Go's mime parser rejects the "@", so
 * client-go fails on such a Content-Type; kube-openapi answers it as OPENAPI_V2_PROTOBUF too.
 */
export const OPENAPI_V2_PROTOBUF_DEPRECATED = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

type Json = Record<string, unknown>;
type Message = Record<string, unknown>;

let root: protobuf.Root | undefined;

/** The parsed gnostic schema (openapi-v2.proto), for encoding here and decoding in tests. */
export function openapiV2Schema(): protobuf.Root {
  root ??= protobuf.parse(readFileSync(join(import.meta.dir, "openapi-v2.proto"), "utf8"), { keepCase: true }).root;
  return root;
}

// gnostic keeps every JSON value it has no typed field for (defaults, enums, extension values)
// as its YAML text; kubectl YAML-decodes extensions such as x-kubernetes-group-version-kind.
const any = (value: unknown): Message => ({ yaml: toYaml(value) });
const named = (entries: [string, unknown][], value: (v: never) => unknown) =>
  entries.map(([name, v]) => ({ name, value: value(v as never) }));

/**
 * Copies the fields of a JSON object onto a message: `fields` maps each JSON key to its proto
 * field and conversion; x-* keys become vendor extensions. A key with no mapping throws, so a
 * field added to the JSON document is never silently missing from the protobuf one.
 */
function convert(json: Json, fields: Record<string, [string, (v: never) => unknown]>, where: string): Message {
  const out: Message = {};
  const extensions: Message[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (value === undefined) continue;
    if (key.startsWith("x-")) extensions.push({ name: key, value: any(value) });
    else if (fields[key]) out[fields[key][0]] = fields[key][1](value as never);
    else throw new Error(`openapi v2 protobuf: no field for "${key}" in ${where}`);
  }
  if (extensions.length) out.vendor_extension = extensions;
  return out;
}

const same = <T>(v: T) => v;
const anys = (v: unknown[]) => v.map(any);

const SCHEMA_FIELDS: Record<string, [string, (v: never) => unknown]> = {
  $ref: ["_ref", same],
  format: ["format", same],
  title: ["title", same],
  description: ["description", same],
  default: ["default", any],
  multipleOf: ["multiple_of", same],
  maximum: ["maximum", same],
  exclusiveMaximum: ["exclusive_maximum", same],
  minimum: ["minimum", same],
  exclusiveMinimum: ["exclusive_minimum", same],
  maxLength: ["max_length", same],
  minLength: ["min_length", same],
  pattern: ["pattern", same],
  maxItems: ["max_items", same],
  minItems: ["min_items", same],
  uniqueItems: ["unique_items", same],
  maxProperties: ["max_properties", same],
  minProperties: ["min_properties", same],
  required: ["required", same],
  enum: ["enum", anys],
  additionalProperties: ["additional_properties", (v: Json | boolean) => (typeof v === "boolean" ? { boolean: v } : { schema: schema(v) })],
  type: ["type", (v: string | string[]) => ({ value: Array.isArray(v) ? v : [v] })],
  items: ["items", (v: Json | Json[]) => ({ schema: (Array.isArray(v) ? v : [v]).map(schema) })],
  allOf: ["all_of", (v: Json[]) => v.map(schema)],
  properties: ["properties", (v: Json) => ({ additional_properties: named(Object.entries(v), schema) })],
  discriminator: ["discriminator", same],
  readOnly: ["read_only", same],
  example: ["example", any],
};

function schema(json: Json): Message {
  return convert(json, SCHEMA_FIELDS, "schema");
}

const NON_BODY_FIELDS: Record<string, [string, (v: never) => unknown]> = {
  required: ["required", same],
  in: ["in", same],
  description: ["description", same],
  name: ["name", same],
  type: ["type", same],
  format: ["format", same],
  collectionFormat: ["collection_format", same],
  default: ["default", any],
  uniqueItems: ["unique_items", same],
  enum: ["enum", anys],
};

function parameter(json: Json): Message {
  if (typeof json.$ref === "string") return { json_reference: { _ref: json.$ref } };
  if (json.in === "body") {
    const body = convert(json, { description: ["description", same], name: ["name", same], in: ["in", same], required: ["required", same], schema: ["schema", schema] }, "body parameter");
    return { parameter: { body_parameter: body } };
  }
  const sub = json.in === "query" ? "query_parameter_sub_schema" : json.in === "path" ? "path_parameter_sub_schema" : undefined;
  if (!sub) throw new Error(`openapi v2 protobuf: no encoding for parameters in ${String(json.in)}`);
  return { parameter: { non_body_parameter: { [sub]: convert(json, NON_BODY_FIELDS, `${json.in} parameter`) } } };
}

const response = (json: Json): Message =>
  convert(json, { description: ["description", same], schema: ["schema", (v: Json) => ({ schema: schema(v) })] }, "response");

const securityRequirements = (v: Record<string, string[]>[]) =>
  v.map((req) => ({ additional_properties: named(Object.entries(req), (scopes: string[]) => ({ value: scopes })) }));

const OPERATION_FIELDS: Record<string, [string, (v: never) => unknown]> = {
  tags: ["tags", same],
  summary: ["summary", same],
  description: ["description", same],
  operationId: ["operation_id", same],
  produces: ["produces", same],
  consumes: ["consumes", same],
  parameters: ["parameters", (v: Json[]) => v.map(parameter)],
  responses: ["responses", (v: Json) => ({ response_code: named(Object.entries(v), (r: Json) => ({ response: response(r) })) })],
  schemes: ["schemes", same],
  deprecated: ["deprecated", same],
  security: ["security", securityRequirements],
};

const operation = (json: Json): Message => convert(json, OPERATION_FIELDS, "operation");

const PATH_ITEM_FIELDS: Record<string, [string, (v: never) => unknown]> = {
  $ref: ["_ref", same],
  parameters: ["parameters", (v: Json[]) => v.map(parameter)],
  ...Object.fromEntries(["get", "put", "post", "delete", "options", "head", "patch"].map((m) => [m, [m, operation]])),
};

const DOCUMENT_FIELDS: Record<string, [string, (v: never) => unknown]> = {
  swagger: ["swagger", same],
  info: ["info", (v: Json) => convert(v, { title: ["title", same], version: ["version", same], description: ["description", same] }, "info")],
  host: ["host", same],
  basePath: ["base_path", same],
  schemes: ["schemes", same],
  consumes: ["consumes", same],
  produces: ["produces", same],
  paths: ["paths", (v: Json) => ({ path: named(Object.entries(v), (p: Json) => convert(p, PATH_ITEM_FIELDS, "path item")) })],
  definitions: ["definitions", (v: Json) => ({ additional_properties: named(Object.entries(v), schema) })],
  security: ["security", securityRequirements],
  securityDefinitions: [
    "security_definitions",
    (v: Json) => ({
      additional_properties: named(Object.entries(v), (d: Json) => {
        if (d.type !== "apiKey") throw new Error(`openapi v2 protobuf: no encoding for security scheme ${String(d.type)}`);
        return { api_key_security: convert(d, { type: ["type", same], name: ["name", same], in: ["in", same], description: ["description", same] }, "security definition") };
      }),
    }),
  ],
};

/** A Swagger 2.0 document (as JSON) as the plain object of an openapi.v2.Document message. */
export function documentMessage(json: object): Message {
  return convert(json as Json, DOCUMENT_FIELDS, "document");
}

/** Encodes a Swagger 2.0 document as gnostic's openapi_v2.Document protobuf. */
export function encodeOpenapiV2(json: object): Uint8Array<ArrayBuffer> {
  const type = openapiV2Schema().lookupType("openapi.v2.Document");
  const message = documentMessage(json);
  const problem = type.verify(message);
  if (problem) throw new Error(`openapi v2 protobuf: ${problem}`);
  // A copy on its own ArrayBuffer (protobufjs may hand out a view of a shared pool), as Response bodies want.
  return new Uint8Array(type.encode(type.fromObject(message)).finish());
}

let encoded: Uint8Array<ArrayBuffer> | undefined;

/** kubun's /openapi/v2 document in protobuf; encoded on first request, then served from memory. */
let encodedFrom: object | undefined;

export function openapiV2Protobuf(): Uint8Array<ArrayBuffer> {
  const doc = openapiV2();
  if (doc !== encodedFrom) {
    encoded = encodeOpenapiV2(doc);
    encodedFrom = doc;
  }
  return encoded!;
}

export type OpenapiV2Encoding = "json" | "protobuf";

/** The encoding an Accept header asks for, in the client's order of preference; undefined → 406. */
export function negotiateOpenapiV2(accept: string | undefined): OpenapiV2Encoding | undefined {
  const ranges = (accept || "*/*")
    .split(",")
    .map((part, index) => {
      const [type = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
      const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
      return { type, q: Number.isNaN(q) ? 0 : q, index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of ranges) {
    if (type === OPENAPI_V2_PROTOBUF || type === OPENAPI_V2_PROTOBUF_DEPRECATED) return "protobuf";
    if (type === "application/json" || type === "application/*" || type === "*/*") return "json";
  }
  return undefined;
}
