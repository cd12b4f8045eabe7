// Typed access to the generated definitions (definitions.json, written by
// scripts/gen-openapi-schemas.ts). Refs inside use Swagger 2.0 form: "#/definitions/<name>".
import raw from "./definitions.json" with { type: "json" };
import { customDefinitions } from "./custom.ts";

export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  [extension: string]: unknown;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export const definitions = raw as unknown as Readonly<Record<string, Schema>>;

export const GVK_EXTENSION = "x-kubernetes-group-version-kind";
const REF_PREFIX = "#/definitions/";

// Built-in definition names by kind: a write's look-up (every create and update walks its
// object's schema) hashes the kind's own string and compares a group and a version, rather than
// making a "group/version/kind" key and hashing it. A group-version-kind named twice is the last
// definition's, as a map by that key kept it.
const byKind = new Map<string, { group: string; version: string; name: string }[]>();
for (const [name, schema] of Object.entries(definitions)) {
  for (const gvk of (schema[GVK_EXTENSION] as GroupVersionKind[] | undefined) ?? []) {
    let served = byKind.get(gvk.kind);
    if (!served) byKind.set(gvk.kind, (served = []));
    served.push({ group: gvk.group, version: gvk.version, name });
  }
}

function builtInDefinition(group: string, version: string, kind: string): string | undefined {
  const served = byKind.get(kind);
  if (!served) return undefined;
  for (let i = served.length - 1; i >= 0; i--) {
    const d = served[i]!;
    if (d.group === group && d.version === version) return d.name;
  }
  return undefined;
}

/** A definition by name: a built-in one, or one of a served custom resource (custom.ts). */
export const definitionNamed = (name: string): Schema | undefined => definitions[name] ?? (customDefinitions()[name] as Schema | undefined);

/** Built-in definitions and those of the custom resources served now. */
export function allDefinitions(): Readonly<Record<string, Schema>> {
  const custom = customDefinitions();
  return Object.keys(custom).length ? { ...definitions, ...(custom as Record<string, Schema>) } : definitions;
}

/** The definition name of a kind, e.g. ("apps", "v1", "Deployment") → "io.k8s.api.apps.v1.Deployment". */
export function definitionFor(group: string, version: string, kind: string): string | undefined {
  const builtIn = builtInDefinition(group, version, kind);
  if (builtIn) return builtIn;
  for (const [name, schema] of Object.entries(customDefinitions())) {
    if ((schema[GVK_EXTENSION] as GroupVersionKind[]).some((g) => g.group === group && g.version === version && g.kind === kind)) return name;
  }
  return undefined;
}

/** The group-version-kinds a definition is served as (empty for nested types). */
export function groupVersionKinds(name: string): GroupVersionKind[] {
  return (definitionNamed(name)?.[GVK_EXTENSION] as GroupVersionKind[] | undefined) ?? [];
}

/** The definition a `$ref` schema points at. */
export function refName(schema: Schema): string | undefined {
  return schema.$ref?.startsWith(REF_PREFIX) ? schema.$ref.slice(REF_PREFIX.length) : undefined;
}

/** Follows a `$ref` to its definition; other schemas are returned as they are. */
export function resolve(schema: Schema): Schema {
  const name = refName(schema);
  if (!name) return schema;
  const target = definitionNamed(name);
  if (!target) throw new Error(`dangling schema reference ${schema.$ref}`);
  return target;
}

function collectRefs(value: unknown, into: string[]): void {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, into);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith(REF_PREFIX)) into.push(v.slice(REF_PREFIX.length));
      else collectRefs(v, into);
    }
  }
}

/** The named definitions plus every definition they reference, transitively; sorted. */
export function closure(names: Iterable<string>): string[] {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    const def = definitionNamed(name);
    if (!def) throw new Error(`unknown definition ${name}`);
    seen.add(name);
    collectRefs(def, queue);
  }
  return [...seen].sort();
}
