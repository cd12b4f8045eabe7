// Pruning and defaulting of custom resources against a structural schema (apiextensions-apiserver's
// pkg/apiserver/schema/pruning and defaulting): fields the schema does not know are dropped (and
// reported, so fieldValidation=Strict can refuse them as kube-apiserver does), then `default:`
// values fill what is missing. Both walk the same tree; x-kubernetes-preserve-unknown-fields keeps
// a subtree as sent, x-kubernetes-embedded-resource keeps apiVersion, kind and metadata.
import { isObject } from "../field.ts";
import type { JSONSchemaProps } from "./types.ts";

const ROOT_KEEP = new Set(["apiVersion", "kind", "metadata"]);

/** Drops unknown fields from `obj` in place; returns their paths (`spec.foo`, `spec.items[0].bar`). */
export function prune(obj: Record<string, unknown>, schema: JSONSchemaProps): string[] {
  const dropped: string[] = [];
  pruneObject(obj, schema, "", dropped, ROOT_KEEP);
  return dropped;
}

function pruneValue(value: unknown, s: JSONSchemaProps | undefined, path: string, dropped: string[]): void {
  if (!s) return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => pruneValue(v, s.items, `${path}[${i}]`, dropped));
    return;
  }
  if (isObject(value)) pruneObject(value, s, path, dropped, s["x-kubernetes-embedded-resource"] ? ROOT_KEEP : undefined);
}

function pruneObject(obj: Record<string, unknown>, s: JSONSchemaProps, path: string, dropped: string[], keep?: Set<string>): void {
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  const additional = isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
  for (const k of Object.keys(obj)) {
    const p = path ? `${path}.${k}` : k;
    // apiVersion, kind and metadata are the object's own (ObjectMeta rules cover metadata).
    if (keep?.has(k)) continue;
    const child = s.properties?.[k] ?? additional;
    if (child) pruneValue(obj[k], child, p, dropped);
    else if (s.additionalProperties === true || preserve) continue;
    else {
      delete obj[k];
      dropped.push(p);
    }
  }
}

/** Fills `default:` values into `obj` in place, for fields that are missing (or null where not nullable). */
export function applySchemaDefaults(value: unknown, s: JSONSchemaProps): void {
  if (Array.isArray(value)) {
    if (s.items) for (const v of value) applySchemaDefaults(v, s.items);
    return;
  }
  if (!isObject(value)) return;
  for (const [k, child] of Object.entries(s.properties ?? {})) {
    const absent = !(k in value) || (value[k] === null && !child.nullable);
    if (absent && child.default !== undefined) value[k] = structuredClone(child.default);
    if (k in value) applySchemaDefaults(value[k], child);
  }
  if (isObject(s.additionalProperties)) for (const v of Object.values(value)) applySchemaDefaults(v, s.additionalProperties as JSONSchemaProps);
}
