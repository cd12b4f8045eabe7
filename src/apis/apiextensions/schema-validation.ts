// Validates a custom resource against its version's openAPIV3Schema, with the messages
// kube-openapi's validator gives kube-apiserver ("spec.replicas in body must be of type integer:
// "string"", "should be greater than or equal to 1"...), each cause naming its field. Runs after
// pruning and defaulting (schema-prune.ts), as kube-apiserver orders them.
import { RE2JS } from "@bufbuild/re2";
import { fieldDuplicate, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, isObject } from "../field.ts";
import { isQuantity } from "../quantity.ts";
import type { StatusCause } from "../meta.ts";
import type { JSONSchemaProps } from "./types.ts";

const typeName = (v: unknown): string => {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
};

function hasType(t: string, v: unknown): boolean {
  switch (t) {
    case "object":
      return isObject(v);
    case "array":
      return Array.isArray(v);
    case "string":
      return typeof v === "string";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
  }
  return true;
}

// kube-openapi's formats (strfmt), those a CRD author can lean on.
const FORMATS: Record<string, (s: string) => boolean> = {
  "date-time": (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  email: (s) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s),
  hostname: (s) => s.length <= 253 && /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(s),
  ipv6: (s) => /^[0-9a-fA-F:.]+$/.test(s) && s.includes(":"),
  cidr: (s) => /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(s),
  uri: (s) => URL.canParse(s),
  uuid: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  duration: (s) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s),
  quantity: (s) => isQuantity(s),
  int32: () => true,
  int64: () => true,
  float: () => true,
  double: () => true,
  password: () => true,
};

// Patterns are RE2, as in kube-openapi (Go's regexp): linear time, whatever the pattern and input.
const patterns = new Map<string, RE2JS>();
const regex = (p: string) => patterns.get(p) ?? patterns.set(p, RE2JS.compile(p)).get(p)!;

/** Every cause `value` at `path` has against `s`; `path` is "" at the root. */
export function validateValue(errs: Causes, path: string, s: JSONSchemaProps, value: unknown): void {
  const name = path || "<root>";
  if (value === null) {
    if (!s.nullable && !(s["x-kubernetes-preserve-unknown-fields"] && s.type === undefined)) errs.push(fieldInvalid(path, "null", `${name} in body must be of type ${s.type ?? "object"}: "null"`));
    return;
  }
  if (s["x-kubernetes-int-or-string"]) {
    if (typeof value !== "string" && !(typeof value === "number" && Number.isInteger(value))) {
      errs.push(fieldInvalid(path, typeName(value), `${name} in body must be of type integer,string: "${typeName(value)}"`));
      return;
    }
  } else if (s.type && !hasType(s.type, value)) {
    errs.push(fieldInvalid(path, typeName(value), `${name} in body must be of type ${s.type}: "${typeName(value)}"`));
    return;
  }
  if (s.enum && !s.enum.some((e) => Bun.deepEquals(e, value))) {
    errs.push(fieldNotSupported(path, value, s.enum.map((e) => (typeof e === "string" ? e : JSON.stringify(e)))));
  }
  if (typeof value === "string") {
    const chars = [...value].length;
    if (s.maxLength !== undefined && chars > s.maxLength) errs.push({ reason: "FieldValueTooLong", field: path, message: `Too long: may not be more than ${s.maxLength} bytes` });
    if (s.minLength !== undefined && chars < s.minLength) errs.push(fieldInvalid(path, value, `${name} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined && !regex(s.pattern).test(value)) errs.push(fieldInvalid(path, value, `${name} in body should match '${s.pattern}'`));
    if (s.format && FORMATS[s.format] && !FORMATS[s.format]!(value)) errs.push(fieldInvalid(path, value, `${name} in body must be of type ${s.format}: ${JSON.stringify(value)}`));
  }
  if (typeof value === "number") {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? value <= s.minimum : value < s.minimum)) {
      errs.push(fieldInvalid(path, value, `${name} in body should be greater than ${s.exclusiveMinimum ? "" : "or equal to "}${s.minimum}`));
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? value >= s.maximum : value > s.maximum)) {
      errs.push(fieldInvalid(path, value, `${name} in body should be less than ${s.exclusiveMaximum ? "" : "or equal to "}${s.maximum}`));
    }
    if (s.multipleOf !== undefined && s.multipleOf > 0 && Math.abs(value / s.multipleOf - Math.round(value / s.multipleOf)) > 1e-9) {
      errs.push(fieldInvalid(path, value, `${name} in body should be a multiple of ${s.multipleOf}`));
    }
  }
  if (Array.isArray(value)) {
    if (s.maxItems !== undefined && value.length > s.maxItems) errs.push({ reason: "FieldValueTooMany", field: path, message: `Too many: ${value.length}: must have at most ${s.maxItems} items` });
    if (s.minItems !== undefined && value.length < s.minItems) errs.push(fieldInvalid(path, value.length, `${name} in body should have at least ${s.minItems} items`));
    if (s.items) value.forEach((v, i) => validateValue(errs, `${path}[${i}]`, s.items!, v));
    const listType = s["x-kubernetes-list-type"];
    if (listType === "set" || s.uniqueItems) {
      value.forEach((v, i) => {
        if (value.findIndex((w) => Bun.deepEquals(v, w)) < i) errs.push(fieldDuplicate(`${path}[${i}]`, v));
      });
    } else if (listType === "map") {
      const keys = s["x-kubernetes-list-map-keys"] ?? [];
      const seen = new Set<string>();
      value.forEach((v, i) => {
        if (!isObject(v)) return;
        const k = JSON.stringify(keys.map((key) => v[key] ?? null));
        if (seen.has(k)) errs.push(fieldDuplicate(`${path}[${i}]`, Object.fromEntries(keys.map((key) => [key, v[key]]))));
        seen.add(k);
      });
    }
  }
  if (isObject(value)) {
    const n = Object.keys(value).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) errs.push({ reason: "FieldValueTooMany", field: path, message: `Too many: ${n}: must have at most ${s.maxProperties} items` });
    if (s.minProperties !== undefined && n < s.minProperties) errs.push(fieldInvalid(path, n, `${name} in body should have at least ${s.minProperties} properties`));
    for (const r of s.required ?? []) if (value[r] === undefined) errs.push(fieldRequired(path ? `${path}.${r}` : r));
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue; // not in the JSON
      const child = s.properties?.[k] ?? (isObject(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
      const p = path ? `${path}.${k}` : k;
      if (child) validateValue(errs, p, child, v);
    }
  }
  junctors(errs, path, name, s, value);
}

function failures(s: JSONSchemaProps, path: string, value: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  validateValue(out, path, s, value);
  return out;
}

function junctors(errs: Causes, path: string, name: string, s: JSONSchemaProps, value: unknown): void {
  for (const sub of s.allOf ?? []) errs.push(...failures(sub, path, value));
  if (s.anyOf && !s.anyOf.some((sub) => failures(sub, path, value).length === 0)) {
    errs.push(fieldInvalid(path, value, `${name} in body must be of anyOf the given schemas`));
  }
  if (s.oneOf && s.oneOf.filter((sub) => failures(sub, path, value).length === 0).length !== 1) {
    errs.push(fieldInvalid(path, value, `${name} in body must validate one and only one schema (oneOf)`));
  }
  if (s.not && failures(s.not, path, value).length === 0) errs.push(fieldInvalid(path, value, `${name} in body should not validate the given schema`));
}

/** Validates the parts of a custom resource its schema covers: everything but metadata, which ObjectMeta rules cover. */
export function validateCustomResource(errs: Causes, schema: JSONSchemaProps, obj: Record<string, unknown>): void {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = obj;
  const body = { ...schema, properties: { ...schema.properties } };
  delete body.properties.metadata;
  delete body.properties.apiVersion;
  delete body.properties.kind;
  body.required = (schema.required ?? []).filter((r) => r !== "metadata" && r !== "apiVersion" && r !== "kind");
  validateValue(errs, "", body, rest);
  // A schema of metadata may constrain name and generateName (string rules only).
  const meta = schema.properties?.metadata?.properties;
  const m = obj.metadata as Record<string, unknown> | undefined;
  for (const k of ["name", "generateName"] as const) if (meta?.[k] && m?.[k] !== undefined) validateValue(errs, `metadata.${k}`, meta[k]!, m[k]);
}
