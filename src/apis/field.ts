// Reading untrusted JSON while validating it. Request bodies can hold anything (a string where
// a spec belongs, a number for a list); each reader records a cause under the Kubernetes field
// path and returns undefined, so validation never throws and reports every problem at once.
import type { StatusCause } from "./meta.ts";
import { fieldInvalid } from "./errors.ts";

export type Causes = StatusCause[];
export type JsonObject = Record<string, unknown>;

/** Field paths as Kubernetes prints them: "spec.containers[0].resources.limits[cpu]". */
export const child = (path: string, name: string) => (path ? `${path}.${name}` : name);
export const index = (path: string, i: number) => `${path}[${i}]`;
export const key = (path: string, k: string) => `${path}[${k}]`;

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
export const absent = (v: unknown) => v === undefined || v === null;

export function objectAt(errs: Causes, path: string, v: unknown): JsonObject | undefined {
  if (absent(v)) return undefined;
  if (isObject(v)) return v;
  errs.push(fieldInvalid(path, v, "must be an object"));
  return undefined;
}

export function arrayAt(errs: Causes, path: string, v: unknown): unknown[] | undefined {
  if (absent(v)) return undefined;
  if (Array.isArray(v)) return v;
  errs.push(fieldInvalid(path, v, "must be an array"));
  return undefined;
}

export function stringAt(errs: Causes, path: string, v: unknown): string | undefined {
  if (absent(v)) return undefined;
  if (typeof v === "string") return v;
  errs.push(fieldInvalid(path, v, "must be a string"));
  return undefined;
}

export function intAt(errs: Causes, path: string, v: unknown): number | undefined {
  if (absent(v)) return undefined;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  errs.push(fieldInvalid(path, v, "must be an integer"));
  return undefined;
}

export function boolAt(errs: Causes, path: string, v: unknown): boolean | undefined {
  if (absent(v)) return undefined;
  if (typeof v === "boolean") return v;
  errs.push(fieldInvalid(path, v, "must be a boolean"));
  return undefined;
}

/** A map of strings (labels, annotations, selectors, ConfigMap data). */
export function stringMapAt(errs: Causes, path: string, v: unknown): Record<string, string> | undefined {
  const o = objectAt(errs, path, v);
  if (!o) return undefined;
  let ok = true;
  // By key, not Object.entries: no [key, value] pair made per entry of every label map and ConfigMap.
  for (const k of Object.keys(o)) {
    const val = o[k];
    if (typeof val !== "string") {
      errs.push(fieldInvalid(key(path, k), val, "must be a string"));
      ok = false;
    }
  }
  return ok ? (o as Record<string, string>) : undefined;
}

export function stringListAt(errs: Causes, path: string, v: unknown): string[] | undefined {
  const list = arrayAt(errs, path, v);
  if (!list) return undefined;
  const before = errs.length;
  list.forEach((s, i) => {
    if (typeof s !== "string") errs.push(fieldInvalid(index(path, i), s, "must be a string"));
  });
  return errs.length === before ? (list as string[]) : undefined;
}

/** The elements of a list that are objects; the others are reported. */
export function objectsAt(errs: Causes, path: string, v: unknown): [JsonObject, string][] {
  const list = arrayAt(errs, path, v) ?? [];
  const out: [JsonObject, string][] = [];
  list.forEach((item, i) => {
    const p = index(path, i);
    if (isObject(item)) out.push([item, p]);
    else errs.push(fieldInvalid(p, item, "must be an object"));
  });
  return out;
}

/** An int-or-string field (targetPort, maxSurge). */
export function intOrStringAt(errs: Causes, path: string, v: unknown): number | string | undefined {
  if (absent(v)) return undefined;
  if (typeof v === "string" || (typeof v === "number" && Number.isInteger(v))) return v;
  errs.push(fieldInvalid(path, v, "must be an integer or a string"));
  return undefined;
}

export const fieldNotFound = (field: string, value: unknown): StatusCause => ({
  reason: "FieldValueNotFound",
  field,
  message: `Not found: ${JSON.stringify(value)}`,
});

export const fieldTooLong = (field: string, max: number): StatusCause => ({
  reason: "FieldValueTooLong",
  field,
  message: `Too long: may not be more than ${max} bytes`,
});

export const fieldTooMany = (field: string, actual: number, max: number): StatusCause => ({
  reason: "FieldValueTooMany",
  field,
  message: `Too many: ${actual}: must have at most ${max} items`,
});

export const fieldImmutable = (field: string, value: unknown): StatusCause => fieldInvalid(field, value, "field is immutable");

export function nonNegative(errs: Causes, path: string, v: unknown): void {
  const n = intAt(errs, path, v);
  if (n !== undefined && n < 0) errs.push(fieldInvalid(path, n, "must be greater than or equal to 0"));
}

/** Lenient views for defaulting, which skips whatever isn't shaped right (validation reports it). */
export const objOf = (v: unknown): JsonObject | undefined => (isObject(v) ? v : undefined);
export const objsOf = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Deep structural equality of JSON values, key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
}
