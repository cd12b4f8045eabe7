// Defaulting and validation of CustomResourceDefinitions (apiextensions-apiserver's
// pkg/apis/apiextensions/validation), in upstream's words. What kubun does not implement is
// refused here with a 422 naming the field: a Webhook conversion strategy, and CEL rules that do
// not compile or whose cost could outgrow the object (src/apis/cel/).
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, fieldImmutable, isObject, type JsonObject } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { RESOURCES } from "../registry.ts";
import { isDNS1035Label, isDNS1123Subdomain } from "../validation.ts";
import { parseJSONPath, evalJSONPath } from "./printer.ts";
import { validateStructural } from "./structural.ts";
import { prune } from "./schema-prune.ts";
import { validateValue } from "./schema-validation.ts";
import type { CustomResourceDefinition, CustomResourceDefinitionVersion, JSONSchemaProps } from "./types.ts";

const BUILTIN_GROUPS = new Set(RESOURCES.map((r) => r.group));
const COLUMN_TYPES = ["integer", "number", "string", "boolean", "date"];
const COLUMN_FORMATS = ["int32", "int64", "float", "double", "byte", "date", "date-time", "password"];
const SPEC_KEYS = new Set(["group", "names", "scope", "versions", "conversion", "preserveUnknownFields"]);
const VERSION_KEYS = new Set(["name", "served", "storage", "deprecated", "deprecationWarning", "schema", "subresources", "additionalPrinterColumns", "selectableFields"]);

/** v1 defaults: singular and listKind from the kind, conversion None, an Age column for versions without columns is the printer's. */
export function defaultCRD(obj: KubeObject): void {
  const spec = (obj as JsonObject).spec;
  if (!isObject(spec)) return;
  const names = spec.names;
  if (isObject(names) && typeof names.kind === "string") {
    if (!names.singular) names.singular = names.kind.toLowerCase();
    if (!names.listKind) names.listKind = `${names.kind}List`;
  }
  if (spec.conversion === undefined) spec.conversion = { strategy: "None" };
  if (Array.isArray(spec.versions)) {
    for (const v of spec.versions) {
      if (isObject(v) && Array.isArray(v.additionalPrinterColumns)) for (const c of v.additionalPrinterColumns) if (isObject(c) && c.priority === undefined) c.priority = 0;
    }
  }
}

function dns1035(errs: Causes, path: string, v: unknown, required = true): string | undefined {
  if (v === undefined || v === "") {
    if (required) errs.push(fieldRequired(path));
    return undefined;
  }
  if (typeof v !== "string") return void errs.push(fieldInvalid(path, v, "must be a string"));
  for (const m of isDNS1035Label(v)) errs.push(fieldInvalid(path, v, m));
  return v;
}

function validateNames(errs: Causes, path: string, names: unknown): void {
  if (!isObject(names)) return void errs.push(fieldRequired(path));
  dns1035(errs, `${path}.plural`, names.plural);
  dns1035(errs, `${path}.singular`, names.singular);
  const kind = names.kind;
  if (!kind) errs.push(fieldRequired(`${path}.kind`));
  else if (typeof kind !== "string") errs.push(fieldInvalid(`${path}.kind`, kind, "must be a string"));
  else for (const m of isDNS1035Label(kind.toLowerCase())) errs.push(fieldInvalid(`${path}.kind`, kind, m));
  if (typeof names.listKind === "string") {
    for (const m of isDNS1035Label(names.listKind.toLowerCase())) errs.push(fieldInvalid(`${path}.listKind`, names.listKind, m));
    if (names.listKind === kind) errs.push(fieldInvalid(`${path}.listKind`, names.listKind, "kind and listKind may not be the same"));
  }
  for (const [field, list] of [["shortNames", names.shortNames], ["categories", names.categories]] as const) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errs.push(fieldInvalid(`${path}.${field}`, list, "must be a list of strings"));
      continue;
    }
    list.forEach((n, i) => {
      dns1035(errs, `${path}.${field}[${i}]`, n);
      if (list.indexOf(n) < i) errs.push(fieldDuplicate(`${path}.${field}[${i}]`, n));
    });
  }
}

function underPath(errs: Causes, path: string, v: unknown, roots: string[], schema: JSONSchemaProps | undefined, required = true): void {
  if (v === undefined || v === "") {
    if (required) errs.push(fieldRequired(path));
    return;
  }
  if (typeof v !== "string" || !/^(\.[A-Za-z0-9_\-]+)+$/.test(v)) return void errs.push(fieldInvalid(path, v, "must be a simple json path starting with ."));
  if (!roots.some((r) => v.startsWith(`${r}.`))) return void errs.push(fieldInvalid(path, v, `should be a json path under ${roots.join(" or ")}`));
  if (schema) {
    let s: JSONSchemaProps | undefined = schema;
    for (const f of v.slice(1).split(".")) s = s?.properties?.[f] ?? (isObject(s?.additionalProperties) ? (s!.additionalProperties as JSONSchemaProps) : undefined);
    if (!s && !schema["x-kubernetes-preserve-unknown-fields"]) errs.push(fieldInvalid(path, v, "should be a json path in the schema"));
  }
}

function validateVersion(errs: Causes, path: string, v: JsonObject, opts: { celSupported: boolean }): void {
  for (const k of Object.keys(v)) if (!VERSION_KEYS.has(k)) errs.push(fieldForbidden(`${path}.${k}`, "is not supported by this server"));
  dns1035(errs, `${path}.name`, v.name);
  for (const f of ["served", "storage"]) if (typeof v[f] !== "boolean") errs.push(v[f] === undefined ? fieldRequired(`${path}.${f}`) : fieldInvalid(`${path}.${f}`, v[f], "must be a boolean"));
  const schema = isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
  if (schema === undefined) errs.push(fieldRequired(`${path}.schema.openAPIV3Schema`, "Required value: schemas are required"));
  else {
    const sp = `${path}.schema.openAPIV3Schema`;
    const before = errs.length;
    validateStructural(errs, sp, schema, opts);
    if (errs.length === before) validateDefaults(errs, sp, schema as JSONSchemaProps);
  }
  const s = isObject(schema) ? (schema as JSONSchemaProps) : undefined;
  const subs = v.subresources;
  if (subs !== undefined) {
    if (!isObject(subs)) errs.push(fieldInvalid(`${path}.subresources`, subs, "must be an object"));
    else {
      for (const k of Object.keys(subs)) if (k !== "status" && k !== "scale") errs.push(fieldNotSupported(`${path}.subresources.${k}`, k, ["status", "scale"]));
      const scale = subs.scale;
      if (scale !== undefined) {
        const sp = `${path}.subresources.scale`;
        if (!isObject(scale)) errs.push(fieldInvalid(sp, scale, "must be an object"));
        else {
          underPath(errs, `${sp}.specReplicasPath`, scale.specReplicasPath, [".spec"], s);
          underPath(errs, `${sp}.statusReplicasPath`, scale.statusReplicasPath, [".status"], s);
          underPath(errs, `${sp}.labelSelectorPath`, scale.labelSelectorPath, [".spec", ".status"], s, false);
        }
      }
    }
  }
  const cols = v.additionalPrinterColumns;
  if (cols !== undefined) {
    if (!Array.isArray(cols)) errs.push(fieldInvalid(`${path}.additionalPrinterColumns`, cols, "must be a list"));
    else
      cols.forEach((c, i) => {
        const cp = `${path}.additionalPrinterColumns[${i}]`;
        if (!isObject(c)) return void errs.push(fieldInvalid(cp, c, "must be an object"));
        if (!c.name) errs.push(fieldRequired(`${cp}.name`));
        else if (cols.findIndex((o) => isObject(o) && o.name === c.name) < i) errs.push(fieldDuplicate(`${cp}.name`, c.name));
        if (!COLUMN_TYPES.includes(String(c.type))) errs.push(c.type ? fieldNotSupported(`${cp}.type`, c.type, COLUMN_TYPES) : fieldRequired(`${cp}.type`));
        if (c.format !== undefined && c.format !== "" && !COLUMN_FORMATS.includes(String(c.format))) errs.push(fieldNotSupported(`${cp}.format`, c.format, COLUMN_FORMATS));
        if (c.priority !== undefined && (!Number.isInteger(c.priority) || (c.priority as number) < 0)) errs.push(fieldInvalid(`${cp}.priority`, c.priority, "must be a non-negative integer"));
        jsonPath(errs, `${cp}.jsonPath`, c.jsonPath);
      });
  }
  const fields = v.selectableFields;
  if (fields !== undefined) {
    if (!Array.isArray(fields)) errs.push(fieldInvalid(`${path}.selectableFields`, fields, "must be a list"));
    else {
      if (fields.length > 8) errs.push({ reason: "FieldValueTooMany", field: `${path}.selectableFields`, message: `Too many: ${fields.length}: must have at most 8 items` });
      fields.forEach((f, i) => {
        const fp = `${path}.selectableFields[${i}].jsonPath`;
        const p = isObject(f) ? f.jsonPath : undefined;
        if (!p) return void errs.push(fieldRequired(fp));
        if (typeof p !== "string" || !/^(\.[A-Za-z0-9_\-]+)+$/.test(p)) return void errs.push(fieldInvalid(fp, p, "must be a simple json path starting with ."));
        if (p.startsWith(".metadata")) return void errs.push(fieldInvalid(fp, p, "must not select metadata; metadata.name and metadata.namespace are always selectable"));
        if (fields.findIndex((o) => isObject(o) && o.jsonPath === p) < i) errs.push(fieldDuplicate(fp, p));
        let node: JSONSchemaProps | undefined = s;
        for (const part of p.slice(1).split(".")) node = node?.properties?.[part];
        if (!node) errs.push(fieldInvalid(fp, p, "is an invalid path: does not refer to a field in the schema"));
        else if (!["string", "integer", "boolean"].includes(node.type ?? "")) errs.push(fieldInvalid(fp, p, "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."));
      });
    }
  }
}

function jsonPath(errs: Causes, path: string, v: unknown): void {
  if (!v) return void errs.push(fieldRequired(path));
  try {
    evalJSONPath(parseJSONPath(String(v)), {});
  } catch (err) {
    errs.push(fieldInvalid(path, v, `must be a simple json path: ${(err as Error).message}`));
  }
}

/** Every `default:` must validate against its own schema, and survive pruning, as upstream requires. */
function validateDefaults(errs: Causes, path: string, s: JSONSchemaProps): void {
  const walk = (p: string, node: JSONSchemaProps, underMeta: boolean) => {
    if (node.default !== undefined) {
      if (underMeta) errs.push(fieldForbidden(`${p}.default`, "must not be set inside metadata"));
      else {
        const causes: Causes = [];
        validateValue(causes, "", node, node.default);
        for (const c of causes) errs.push(fieldInvalid(`${p}.default${c.field ? `.${c.field}` : ""}`, node.default, c.message ?? ""));
        if (isObject(node.default)) {
          const copy = structuredClone(node.default);
          const dropped = prune(copy, { ...node, properties: node.properties });
          const real = dropped.filter((d) => !["apiVersion", "kind", "metadata"].includes(d));
          if (real.length) errs.push(fieldInvalid(`${p}.default`, node.default, `must not have unknown fields: ${real.join(", ")}`));
        }
      }
    }
    for (const [k, c] of Object.entries(node.properties ?? {})) walk(`${p}.properties[${k}]`, c, underMeta || (p === path && k === "metadata"));
    if (node.items && !Array.isArray(node.items)) walk(`${p}.items`, node.items, underMeta);
    if (isObject(node.additionalProperties)) walk(`${p}.additionalProperties`, node.additionalProperties as JSONSchemaProps, underMeta);
  };
  walk(path, s, false);
}

export function validateCRD(errs: Causes, obj: JsonObject, opts = { celSupported: true }): void {
  const spec = obj.spec;
  if (!isObject(spec)) return void errs.push(fieldRequired("spec"));
  for (const k of Object.keys(spec)) if (!SPEC_KEYS.has(k)) errs.push(fieldForbidden(`spec.${k}`, "is not supported by this server"));
  const group = spec.group;
  if (!group) errs.push(fieldRequired("spec.group"));
  else if (typeof group !== "string") errs.push(fieldInvalid("spec.group", group, "must be a string"));
  else {
    for (const m of isDNS1123Subdomain(group)) errs.push(fieldInvalid("spec.group", group, m));
    if (!group.includes(".")) errs.push(fieldInvalid("spec.group", group, "should be a domain with at least one dot"));
    else if (BUILTIN_GROUPS.has(group)) errs.push(fieldInvalid("spec.group", group, "is a group served by the built-in API"));
  }
  validateNames(errs, "spec.names", spec.names);
  const names = isObject(spec.names) ? spec.names : {};
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  if (typeof names.plural === "string" && typeof group === "string" && meta.name !== `${names.plural}.${group}`) {
    errs.push(fieldInvalid("metadata.name", meta.name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") {
    errs.push(spec.scope ? fieldNotSupported("spec.scope", spec.scope, ["Cluster", "Namespaced"]) : fieldRequired("spec.scope"));
  }
  if (spec.preserveUnknownFields === true) errs.push(fieldInvalid("spec.preserveUnknownFields", true, "must be false in order to use defaults in the schema"));
  const conversion = spec.conversion;
  if (isObject(conversion)) {
    if (conversion.strategy === "Webhook") errs.push(fieldNotSupported("spec.conversion.strategy", "Webhook", ["None"]));
    else if (conversion.strategy !== "None") errs.push(fieldNotSupported("spec.conversion.strategy", conversion.strategy, ["None", "Webhook"]));
    if (conversion.webhook !== undefined && conversion.strategy !== "Webhook") errs.push(fieldForbidden("spec.conversion.webhook", "should not be set when strategy is not set to Webhook"));
  }
  const versions = spec.versions;
  if (!Array.isArray(versions) || versions.length === 0) return void errs.push(fieldRequired("spec.versions", "Required value: must have exactly one version marked as storage version"));
  const seen = new Set<string>();
  let storage = 0;
  let served = 0;
  versions.forEach((v, i) => {
    const p = `spec.versions[${i}]`;
    if (!isObject(v)) return void errs.push(fieldInvalid(p, v, "must be an object"));
    validateVersion(errs, p, v, opts);
    if (typeof v.name === "string") {
      if (seen.has(v.name)) errs.push(fieldDuplicate(`${p}.name`, v.name));
      seen.add(v.name);
    }
    if (v.storage === true) storage++;
    if (v.served === true) served++;
  });
  if (storage !== 1) errs.push(fieldInvalid("spec.versions", versions.map((v) => (isObject(v) ? v.name : v)), "must have exactly one version marked as storage version"));
  if (served === 0) errs.push(fieldInvalid("spec.versions", versions.map((v) => (isObject(v) ? v.name : v)), "must have at least one version marked as served"));
}

export function validateCRDUpdate(errs: Causes, obj: JsonObject, old: JsonObject): void {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const was = isObject(old.spec) ? old.spec : {};
  if (spec.group !== was.group) errs.push(fieldImmutable("spec.group", spec.group));
  if (spec.scope !== was.scope) errs.push(fieldImmutable("spec.scope", spec.scope));
  validateStoredVersions(errs, obj);
}

/** status.storedVersions must name versions the spec still has, so stored objects stay readable. */
export function validateStoredVersions(errs: Causes, obj: JsonObject): void {
  const crd = obj as unknown as CustomResourceDefinition;
  const names = new Set((Array.isArray(crd.spec?.versions) ? crd.spec.versions : []).map((v: CustomResourceDefinitionVersion) => v?.name));
  (crd.status?.storedVersions ?? []).forEach((v, i) => {
    if (!names.has(v)) errs.push(fieldInvalid(`status.storedVersions[${i}]`, v, "must appear in spec.versions"));
  });
}
