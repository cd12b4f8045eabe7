// OpenAPI definitions of the custom resources being served, made from their CRDs' schemas as
// apiextensions-apiserver's builder makes them: named after the reversed group
// ("com.example.v1.Website"), metadata pointing at ObjectMeta, apiVersion and kind described,
// a List beside each kind. definitions.ts looks them up with the built-in ones; the documents
// (v2, v3) are rebuilt whenever the set of served CRDs changes (customGeneration).
import { allResources, customGeneration, type ResourceInfo } from "../../apis/registry.ts";
/** A schema as definitions.ts types it (kept local: definitions.ts imports this file). */
type Schema = Record<string, unknown> & { properties?: Record<string, unknown> };

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const API_VERSION = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/** "example.com", "v1", "Website" → "com.example.v1.Website". */
export const customDefinitionName = (group: string, version: string, kind: string) => `${group.split(".").reverse().join(".")}.${version}.${kind}`;

function definitionsOf(r: ResourceInfo): [string, Schema][] {
  const gvk = (kind: string) => [{ group: r.group, version: r.version, kind }];
  const schema = structuredClone((r.custom?.schema ?? { type: "object", "x-kubernetes-preserve-unknown-fields": true }) as Schema);
  // CEL rules and defaults are the server's business; documents carry the shape.
  schema.properties = {
    ...(schema.properties ?? {}),
    apiVersion: { type: "string", description: API_VERSION },
    kind: { type: "string", description: KIND },
    metadata: { $ref: `#/definitions/${META}.ObjectMeta`, description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" },
  };
  schema.type = "object";
  schema["x-kubernetes-group-version-kind"] = gvk(r.kind);
  const name = customDefinitionName(r.group, r.version, r.kind);
  const list: Schema = {
    type: "object",
    description: `${r.listKind} is a list of ${r.kind}`,
    required: ["items"],
    properties: {
      apiVersion: { type: "string", description: API_VERSION },
      items: { type: "array", description: `List of ${r.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, items: { $ref: `#/definitions/${name}` } },
      kind: { type: "string", description: KIND },
      metadata: { $ref: `#/definitions/${META}.ListMeta`, description: "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds" },
    },
    "x-kubernetes-group-version-kind": gvk(r.listKind),
  };
  return [[name, schema], [customDefinitionName(r.group, r.version, r.listKind), list]];
}

let built = -1;
let current: Record<string, Schema> = {};

/** The definitions of every served custom resource version. */
export function customDefinitions(): Readonly<Record<string, Schema>> {
  const gen = customGeneration();
  if (gen !== built) {
    current = Object.fromEntries(allResources().filter((r) => r.custom).flatMap(definitionsOf));
    built = gen;
  }
  return current;
}
