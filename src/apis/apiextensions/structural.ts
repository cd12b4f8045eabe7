// The checks that make a CRD schema "structural" (apiextensions-apiserver's
// pkg/apiserver/schema/validation.go): every node states its type, arrays state their items,
// properties and additionalProperties don't mix, metadata at the root says no more than name
// and generateName. Only a structural schema can be pruned and defaulted, so v1 CRDs must have
// one. Also refused here: schema features kubun does not act on (see UNSUPPORTED).
import { RE2JS } from "@bufbuild/re2";
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, isObject } from "../field.ts";
import type { JSONSchemaProps } from "./types.ts";
import { validateRules } from "./cel-validation.ts";

const TYPES = ["object", "array", "string", "integer", "number", "boolean"];

/** Keys of a schema node kubun understands; anything else would be stored and ignored. */
const KNOWN = new Set([
  "type", "format", "description", "title", "properties", "additionalProperties", "items", "required", "enum", "pattern",
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
  "minProperties", "maxProperties", "multipleOf", "uniqueItems", "nullable", "default", "example", "externalDocs",
  "allOf", "anyOf", "oneOf", "not",
  "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string",
  "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-validations",
]);

/** Keys upstream forbids inside allOf/anyOf/oneOf/not: they would make the schema non-structural. */
const NOT_IN_JUNCTORS = ["type", "default", "nullable", "additionalProperties", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource", "x-kubernetes-int-or-string", "description"];

export interface StructuralOptions {
  /** CEL rules are evaluated (src/apis/cel); without it they are refused. */
  celSupported: boolean;
}

export function validateStructural(errs: Causes, path: string, schema: unknown, opts: StructuralOptions): void {
  if (!isObject(schema)) return void errs.push(fieldInvalid(path, schema, "must be an object"));
  const s = schema as JSONSchemaProps;
  if (s.type !== "object") errs.push(s.type === undefined ? fieldRequired(`${path}.type`, "Required value: must not be empty at the root") : fieldInvalid(`${path}.type`, s.type, "must be object at the root"));
  node(errs, path, s, opts, { root: true, junctor: false });
  const meta = s.properties?.metadata;
  if (isObject(meta)) {
    const m = meta as JSONSchemaProps;
    const p = `${path}.properties[metadata]`;
    if (m.type !== undefined && m.type !== "object") errs.push(fieldInvalid(`${p}.type`, m.type, "must be object"));
    for (const k of Object.keys(m.properties ?? {})) {
      if (k !== "name" && k !== "generateName") errs.push(fieldForbidden(`${p}.properties[${k}]`, "must not be specified"));
    }
    for (const k of Object.keys(m)) {
      if (!["type", "properties", "description"].includes(k)) errs.push(fieldForbidden(`${p}.${k}`, "must not be specified"));
    }
  }
}

interface At {
  root: boolean;
  junctor: boolean;
}

function node(errs: Causes, path: string, s: JSONSchemaProps, opts: StructuralOptions, at: At): void {
  if (!isObject(s)) return void errs.push(fieldInvalid(path, s, "must be an object"));
  for (const k of Object.keys(s)) {
    if (k === "$ref") errs.push(fieldForbidden(`${path}.$ref`, "$ref is not supported"));
    else if (k === "x-kubernetes-validations") {
      if (!opts.celSupported) errs.push(fieldForbidden(`${path}.x-kubernetes-validations`, "CEL validation rules are not supported by this server"));
      else validateRules(errs, path, s[k]);
    }
    else if (!KNOWN.has(k)) errs.push(fieldForbidden(`${path}.${k}`, "is not supported by this server"));
  }
  if (at.junctor) {
    for (const k of NOT_IN_JUNCTORS) if (s[k] !== undefined) errs.push(fieldForbidden(`${path}.${k}`, "must not be used inside of logical junctors"));
  }
  const intOrString = s["x-kubernetes-int-or-string"] === true;
  const preserve = s["x-kubernetes-preserve-unknown-fields"];
  if (preserve !== undefined && preserve !== true) errs.push(fieldInvalid(`${path}.x-kubernetes-preserve-unknown-fields`, preserve, "must be true or undefined"));
  if (!at.junctor) {
    if (s.type !== undefined && !TYPES.includes(s.type)) errs.push(fieldNotSupported(`${path}.type`, s.type, TYPES));
    if (intOrString && s.type !== undefined) errs.push(fieldForbidden(`${path}.type`, "must be empty if x-kubernetes-int-or-string is true"));
    if (!at.root && s.type === undefined && !intOrString && preserve !== true) errs.push(fieldRequired(`${path}.type`, "Required value: must not be empty for specified object fields"));
    if (s.type === "array" && s.items === undefined) errs.push(fieldRequired(`${path}.items`, "Required value: must be specified"));
    if (s["x-kubernetes-embedded-resource"] === true) {
      if (s.type !== "object") errs.push(fieldInvalid(`${path}.type`, s.type, "must be object if x-kubernetes-embedded-resource is true"));
      if (preserve !== true && !s.properties) errs.push(fieldRequired(`${path}.properties`, "Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
    }
  }
  if (s.properties !== undefined && s.additionalProperties !== undefined && s.additionalProperties !== false) {
    errs.push(fieldForbidden(`${path}.additionalProperties`, "additionalProperties and properties are mutual exclusive"));
  }
  if (s.additionalProperties === false) errs.push(fieldForbidden(`${path}.additionalProperties`, "must not be false"));
  if (s.pattern !== undefined) {
    try {
      RE2JS.compile(String(s.pattern));
    } catch (err) {
      errs.push(fieldInvalid(`${path}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${(err as Error).message}`));
    }
  }
  const listType = s["x-kubernetes-list-type"];
  if (listType !== undefined) {
    if (!["atomic", "set", "map"].includes(listType)) errs.push(fieldNotSupported(`${path}.x-kubernetes-list-type`, listType, ["atomic", "set", "map"]));
    if (s.type !== "array") errs.push(fieldInvalid(`${path}.x-kubernetes-list-type`, listType, "must only be used if type is array"));
    const keys = s["x-kubernetes-list-map-keys"];
    if (listType === "map") {
      if (!Array.isArray(keys) || keys.length === 0) errs.push(fieldRequired(`${path}.x-kubernetes-list-map-keys`, "Required value: must not be empty if x-kubernetes-list-type is map"));
      else {
        const item = s.items as JSONSchemaProps | undefined;
        if (item?.type !== "object") errs.push(fieldInvalid(`${path}.items.type`, item?.type, "must be object if parent array's x-kubernetes-list-type is map"));
        for (const k of keys) {
          const t = item?.properties?.[k]?.type;
          if (!t) errs.push(fieldInvalid(`${path}.x-kubernetes-list-map-keys`, keys, `entries must all be names of item properties`));
          else if (!["string", "integer", "number", "boolean"].includes(t)) errs.push(fieldInvalid(`${path}.items.properties[${k}].type`, t, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
        }
      }
    } else if (keys !== undefined) errs.push(fieldForbidden(`${path}.x-kubernetes-list-map-keys`, "must not be specified if x-kubernetes-list-type is not map"));
  } else if (s["x-kubernetes-list-map-keys"] !== undefined) errs.push(fieldForbidden(`${path}.x-kubernetes-list-map-keys`, "must not be specified if x-kubernetes-list-type is not map"));
  for (const [k, child] of Object.entries(s.properties ?? {})) node(errs, `${path}.properties[${k}]`, child, opts, { root: false, junctor: at.junctor });
  if (isObject(s.additionalProperties)) node(errs, `${path}.additionalProperties`, s.additionalProperties as JSONSchemaProps, opts, { root: false, junctor: at.junctor });
  if (s.items !== undefined) {
    if (Array.isArray(s.items)) errs.push(fieldForbidden(`${path}.items`, "items must be a schema object and not an array"));
    else node(errs, `${path}.items`, s.items, opts, { root: false, junctor: at.junctor });
  }
  for (const j of ["allOf", "anyOf", "oneOf"] as const) {
    const list = s[j];
    if (list === undefined) continue;
    if (!Array.isArray(list)) errs.push(fieldInvalid(`${path}.${j}`, list, "must be a list of schemas"));
    else list.forEach((c, i) => node(errs, `${path}.${j}[${i}]`, c, opts, { root: false, junctor: true }));
  }
  if (s.not !== undefined) node(errs, `${path}.not`, s.not, opts, { root: false, junctor: true });
}
