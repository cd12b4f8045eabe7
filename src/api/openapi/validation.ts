// Field validation against the schemas (?fieldValidation=Strict|Warn): which fields of a
// request body the server would otherwise drop silently. Paths are spelled as kube-apiserver's
// strict decoder spells them: `unknown field "spec.template.spec.containers[0].imagee"`.
import { badRequest, type StatusError } from "../../apis/errors.ts";
import { definitionFor, resolve, type Schema } from "./definitions.ts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function walk(schema: Schema, value: unknown, path: string, out: string[]): void {
  const s = resolve(schema);
  if (s["x-kubernetes-preserve-unknown-fields"]) return;
  if (Array.isArray(value)) {
    // Values of the wrong type are a decoding error, not an unknown field: left to the decoder.
    if (s.items) value.forEach((item, i) => walk(s.items!, item, `${path}[${i}]`, out));
    return;
  }
  if (!isObject(value)) return;
  if (s.properties) {
    for (const [key, child] of Object.entries(value)) {
      const field = s.properties[key];
      if (field) walk(field, child, join(path, key), out);
      else out.push(`unknown field "${join(path, key)}"`);
    }
    return;
  }
  // A typed map ({[key: string]: X}) takes any key; an object with neither properties nor
  // additionalProperties (RawExtension, FieldsV1) takes anything.
  if (isObject(s.additionalProperties)) {
    for (const [key, child] of Object.entries(value)) walk(s.additionalProperties, child, join(path, key), out);
  }
}

/**
 * The fields of `obj` that the schema of group/version/kind does not know, each worded as
 * kube-apiserver words it (`unknown field "spec.foo"`), in document order. Kinds without a
 * schema yield no findings. Used for both fieldValidation=Strict (fail) and Warn (warn).
 */
export function unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
  const name = definitionFor(group, version, kind);
  if (!name) return [];
  const out: string[] = [];
  walk({ $ref: `#/definitions/${name}` }, obj, "", out);
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
