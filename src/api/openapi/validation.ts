// Field validation against the schemas (?fieldValidation=Strict|Warn): which fields of a
// request body the server would otherwise drop silently. Paths are spelled as kube-apiserver's
// strict decoder spells them: `unknown field "spec.template.spec.containers[0].imagee"`.
import { badRequest, type StatusError } from "../../apis/errors.ts";
import { definitionFor, resolve, type Schema } from "./definitions.ts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Where the walk is, as a chain of steps spelled out only for a finding: a write of a valid
 * object (nearly every write) builds no path strings at all.
 */
interface Step {
  readonly up: Step | undefined;
  /** A field name, or a list index. */
  readonly at: string | number;
}

function spell(step: Step | undefined, last: string): string {
  const steps: (string | number)[] = [];
  for (let s = step; s; s = s.up) steps.push(s.at);
  let path = "";
  for (let i = steps.length - 1; i >= 0; i--) {
    const at = steps[i]!;
    path = typeof at === "number" ? `${path}[${at}]` : path ? `${path}.${at}` : at;
  }
  return path ? `${path}.${last}` : last;
}

/** `$ref`s followed once per schema object: the walk meets the same few schemas on every write. */
const resolved = new WeakMap<Schema, Schema>();
function resolveOnce(schema: Schema): Schema {
  let s = resolved.get(schema);
  if (s === undefined) resolved.set(schema, (s = resolve(schema)));
  return s;
}

function walk(schema: Schema, value: unknown, at: Step | undefined, out: string[]): void {
  const s = resolveOnce(schema);
  if (s["x-kubernetes-preserve-unknown-fields"]) return;
  if (Array.isArray(value)) {
    // Values of the wrong type are a decoding error, not an unknown field: left to the decoder.
    if (s.items) for (let i = 0; i < value.length; i++) walk(s.items, value[i], { up: at, at: i }, out);
    return;
  }
  if (!isObject(value)) return;
  if (s.properties) {
    for (const key in value) {
      const field = s.properties[key];
      if (field) {
        const child = value[key];
        if (typeof child === "object" && child !== null) walk(field, child, { up: at, at: key }, out);
      } else out.push(`unknown field "${spell(at, key)}"`);
    }
    return;
  }
  // A typed map ({[key: string]: X}) takes any key; an object with neither properties nor
  // additionalProperties (RawExtension, FieldsV1) takes anything.
  if (isObject(s.additionalProperties)) {
    for (const key in value) {
      const child = value[key];
      if (typeof child === "object" && child !== null) walk(s.additionalProperties, child, { up: at, at: key }, out);
    }
  }
}

const roots = new Map<string, Schema>();
const rootSchema = (name: string) => roots.get(name) ?? roots.set(name, { $ref: `#/definitions/${name}` }).get(name)!;

/**
 * The fields of `obj` that the schema of group/version/kind does not know, each worded as
 * kube-apiserver words it (`unknown field "spec.foo"`), in document order. Kinds without a
 * schema yield no findings. Used for both fieldValidation=Strict (fail) and Warn (warn).
 */
export function unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
  const name = definitionFor(group, version, kind);
  if (!name) return [];
  const out: string[] = [];
  walk(rootSchema(name), obj, undefined, out);
  return out;
}

/** The 400 that fieldValidation=Strict answers when `unknownFields` found any. */
export function strictDecodingError(kind: string, version: string, findings: string[]): StatusError {
  return badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${findings.join(", ")}`);
}

/** `Warning` header values for fieldValidation=Warn (RFC 7234 warn-code 299, as kube sends). */
export function fieldValidationWarnings(findings: string[]): string[] {
  return findings.map((f) => `299 - ${JSON.stringify(f)}`);
}
