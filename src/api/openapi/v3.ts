// OpenAPI v3 documents as kube-apiserver serves them: an index at /openapi/v3 naming one
// document per group-version, each reachable at a URL carrying its content hash so that
// clients (kubectl) can cache it forever.
import { createHash } from "node:crypto";
import { customGeneration, groupVersion } from "../../apis/registry.ts";
import { allDefinitions, definitionNamed, GVK_EXTENSION, closure, groupVersionKinds, type Schema } from "./definitions.ts";
import { TEXT, groupVersionPaths, servedGroupVersions, type Operation, type PathItem } from "./operations.ts";
import type { Parameter } from "./parameters.ts";

export const INFO = { title: "Kubernetes", version: "v1.32.0" };
const STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";

/** The index path of a group-version: "api/v1", "apis/apps/v1". */
const indexPath = (gv: { group: string; version: string }) => (gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`);

// IntOrString and Quantity are strings in Swagger 2.0 but either of two types in v3, which
// also gives generated clients `number | string`. Free-form objects say so explicitly, or
// openapi-typescript types them as empty objects; a patch body may also be an array.
const V3_LEAVES: Record<string, Schema> = {
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { oneOf: [{ type: "integer" }, { type: "string" }] },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": { oneOf: [{ type: "string" }, { type: "number" }] },
  "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": { type: "object", additionalProperties: true },
  "io.k8s.apimachinery.pkg.runtime.RawExtension": { type: "object", additionalProperties: true },
  "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": {},
};

/** Rewrites Swagger 2.0 refs to v3 ones; a ref with siblings is wrapped in allOf, as in kube's v3. */
export function toV3Schema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV3Schema);
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === "$ref" && typeof v === "string" ? v.replace("#/definitions/", "#/components/schemas/") : toV3Schema(v);
  if (typeof out.$ref === "string" && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { allOf: [{ $ref }], ...rest };
  }
  return out;
}

function v3Definition(name: string): unknown {
  const schema = toV3Schema(definitionNamed(name)) as Schema;
  const leaf = V3_LEAVES[name];
  if (!leaf) return schema;
  const { type: _type, ...rest } = schema;
  return { ...rest, ...leaf };
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const v3Parameter = (param: Parameter) => ({
  name: param.name,
  in: param.in,
  description: param.description,
  ...(param.required ? { required: true } : {}),
  schema: { type: param.type, uniqueItems: true },
});

function v3Operation(op: Operation): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [code, definition] of Object.entries(op.responses)) {
    const schema = definition === TEXT ? { type: "string" } : schemaRef(definition);
    responses[code] = {
      description: code === "201" ? "Created" : code === "202" ? "Accepted" : "OK",
      content: Object.fromEntries(op.produces.map((media) => [media, { schema }])),
    };
  }
  responses["401"] = { description: "Unauthorized" };
  // Not in kube's documents: failures come as a Status, which typed clients can then read.
  responses.default = { description: "Error", content: { "application/json": { schema: schemaRef(STATUS) } } };
  return {
    tags: [op.tag],
    description: op.description,
    operationId: op.operationId,
    ...(op.parameters.length ? { parameters: op.parameters.map(v3Parameter) } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(op.body.contentTypes.map((media) => [media, { schema: schemaRef(op.body!.definition) }])),
          },
        }
      : {}),
    responses,
    "x-kubernetes-action": op.action,
    [GVK_EXTENSION]: op.gvk,
  };
}

function v3Paths(items: PathItem[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = { parameters: item.parameters.map(v3Parameter) };
    for (const op of item.operations) entry[op.method] = v3Operation(op);
    paths[item.path] = entry;
  }
  return paths;
}

/** Definition names referenced from the operations, plus the kinds served in this group-version. */
function schemaRoots(group: string, version: string, items: PathItem[]): string[] {
  const roots = new Set<string>([STATUS]);
  for (const op of items.flatMap((i) => i.operations)) {
    if (op.body) roots.add(op.body.definition);
    for (const d of Object.values(op.responses)) if (d !== TEXT) roots.add(d);
  }
  for (const name of Object.keys(allDefinitions())) {
    if (groupVersionKinds(name).some((g) => g.group === group && g.version === version)) roots.add(name);
  }
  return [...roots];
}

function buildDocument(group: string, version: string): object {
  const items = groupVersionPaths(group, version);
  const schemas = Object.fromEntries(closure(schemaRoots(group, version, items)).map((name) => [name, v3Definition(name)]));
  return {
    openapi: "3.0.0",
    info: INFO,
    paths: v3Paths(items),
    components: {
      schemas,
      securitySchemes: { BearerToken: { type: "apiKey", description: "Bearer Token authentication", name: "authorization", in: "header" } },
    },
    security: [{ BearerToken: [] }],
  };
}

interface Cached {
  document: object;
  hash: string;
}
const documents = new Map<string, Cached>();

let documentsGeneration = customGeneration();

function cached(gv: string): Cached | undefined {
  // Served CRDs changed: every document may have (a group's versions, a kind's schema).
  if (documentsGeneration !== customGeneration()) {
    documents.clear();
    documentsGeneration = customGeneration();
  }
  const served = servedGroupVersions().find((g) => indexPath(g) === gv || groupVersion(g) === gv);
  if (!served) return undefined;
  const key = indexPath(served);
  let entry = documents.get(key);
  if (!entry) {
    const document = buildDocument(served.group, served.version);
    entry = { document, hash: createHash("sha512").update(JSON.stringify(document)).digest("hex").toUpperCase() };
    documents.set(key, entry);
  }
  return entry;
}

/**
 * The OpenAPI v3 document of a group-version, named as in the index ("api/v1",
 * "apis/apps/v1"); undefined when kubun does not serve it.
 */
export function openapiV3GroupVersion(gv: string): object | undefined {
  return cached(gv)?.document;
}

/** The stable content hash of a group-version document (the `hash` query of its URL). */
export function openapiV3Hash(gv: string): string | undefined {
  return cached(gv)?.hash;
}

/** The document served at /openapi/v3. */
export function openapiV3Index(): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of servedGroupVersions()) {
    const path = indexPath(gv);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${cached(path)!.hash}` };
  }
  return { paths };
}
