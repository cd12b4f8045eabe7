// JSON values as CEL sees them, following the schema that types them (as kube's
// UnstructuredToVal does): integers become CEL ints (bigint), numbers doubles, int-or-string
// fields whichever they hold, objects maps.
import { isObject } from "../field.ts";

interface Typed {
  type?: string;
  properties?: Record<string, Typed>;
  additionalProperties?: Typed | boolean;
  items?: Typed;
  "x-kubernetes-int-or-string"?: boolean;
}

export function toCel(value: unknown, schema?: Typed): unknown {
  if (typeof value === "number") {
    if (Number.isInteger(value) && (schema?.type === "integer" || schema?.["x-kubernetes-int-or-string"] || (!schema?.type && Number.isSafeInteger(value)))) return BigInt(value);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items));
  if (isObject(value)) {
    const out = new Map<string, unknown>();
    const extra = typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined;
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out.set(k, toCel(v, schema?.properties?.[k] ?? extra));
    return out;
  }
  return value;
}
