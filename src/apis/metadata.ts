// Validation of ObjectMeta and of the label-shaped fields every kind shares, after
// k8s.io/apimachinery/pkg/api/validation (ValidateObjectMeta, ValidateObjectMetaUpdate).
import { fieldForbidden, fieldInvalid, fieldRequired } from "./errors.ts";
import {
  type Causes,
  type JsonObject,
  arrayAt,
  child,
  fieldImmutable,
  fieldTooLong,
  index,
  intAt,
  objectAt,
  objectsAt,
  stringAt,
  stringListAt,
  stringMapAt,
} from "./field.ts";
import { type NameValidator, isDNS1123Label, isQualifiedName, isValidLabelValue } from "./validation.ts";

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Keys are qualified names, values label values; causes name the map itself, as Kubernetes does. */
export function validateLabels(errs: Causes, path: string, v: unknown): void {
  const labels = stringMapAt(errs, path, v);
  if (!labels) return;
  for (const [k, val] of Object.entries(labels)) {
    for (const msg of isQualifiedName(k)) errs.push(fieldInvalid(path, k, msg));
    for (const msg of isValidLabelValue(val)) errs.push(fieldInvalid(path, val, msg));
  }
}

export function validateAnnotations(errs: Causes, path: string, v: unknown): void {
  const annotations = stringMapAt(errs, path, v);
  if (!annotations) return;
  let size = 0;
  for (const [k, val] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(fieldInvalid(path, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(val);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldTooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
}

/** Qualified label keys (spec.selector keys, toleration keys, taint keys). */
export function validateLabelName(errs: Causes, path: string, name: string): void {
  for (const msg of isQualifiedName(name)) errs.push(fieldInvalid(path, name, msg));
}

export function validateLabelSelector(errs: Causes, path: string, v: unknown): void {
  const sel = objectAt(errs, path, v);
  if (!sel) return;
  validateLabels(errs, child(path, "matchLabels"), sel.matchLabels);
  for (const [expr, p] of objectsAt(errs, child(path, "matchExpressions"), sel.matchExpressions)) {
    const values = stringListAt(errs, child(p, "values"), expr.values) ?? [];
    const op = stringAt(errs, child(p, "operator"), expr.operator);
    if (op === "In" || op === "NotIn") {
      if (values.length === 0) errs.push(fieldRequired(child(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === "Exists" || op === "DoesNotExist") {
      if (values.length > 0) errs.push(fieldForbidden(child(p, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(fieldInvalid(child(p, "operator"), expr.operator, "not a valid selector operator"));
    }
    validateLabelName(errs, child(p, "key"), stringAt(errs, child(p, "key"), expr.key) ?? "");
    values.forEach((val, i) => {
      for (const msg of isValidLabelValue(val)) errs.push(fieldInvalid(index(child(p, "values"), i), val, msg));
    });
  }
}

// Finalizers Kubernetes itself uses without a domain prefix.
const STANDARD_FINALIZERS = new Set(["kubernetes", "orphan", "foregroundDeletion", "customresourcecleanup.apiextensions.k8s.io"]);

export function validateFinalizers(errs: Causes, path: string, v: unknown): void {
  const finalizers = stringListAt(errs, path, v);
  finalizers?.forEach((f, i) => {
    const p = index(path, i);
    const msgs = isQualifiedName(f);
    for (const msg of msgs) errs.push(fieldInvalid(p, f, msg));
    if (msgs.length === 0 && !f.includes("/") && !STANDARD_FINALIZERS.has(f)) {
      errs.push(fieldInvalid(p, f, "name is neither a standard finalizer name nor is it fully qualified"));
    }
  });
}

function validateOwnerReferences(errs: Causes, path: string, v: unknown): void {
  let controllers = 0;
  for (const [ref, p] of objectsAt(errs, path, v)) {
    for (const [f, what] of [["apiVersion", "version"], ["kind", "kind"], ["name", "name"], ["uid", "uid"]] as const) {
      const s = stringAt(errs, child(p, f), ref[f]);
      if (!s) errs.push(fieldInvalid(child(p, f), s ?? "", `${what} must not be empty`));
    }
    if (ref.controller === true) controllers++;
  }
  if (controllers > 1) errs.push(fieldInvalid(path, v, "Only one reference can have Controller set to true"));
}

export interface MetaRules {
  namespaced: boolean;
  name: NameValidator;
}

const META_FIELDS = ["generateName", "name", "namespace", "generation", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"] as const;
type MetaPaths = Record<(typeof META_FIELDS)[number], string>;

/**
 * The field paths under a metadata path, made once per path: every write's metadata is checked
 * under "metadata" (a template's under its own few paths), and its checks take the paths whether
 * they find anything or not. Paths made in a loop (list items' metadata) are not kept.
 */
const metaPathsOf = new Map<string, MetaPaths>();
function metaPaths(path: string): MetaPaths {
  let paths = metaPathsOf.get(path);
  if (paths) return paths;
  paths = Object.fromEntries(META_FIELDS.map((f) => [f, child(path, f)])) as MetaPaths;
  if (metaPathsOf.size < 64) metaPathsOf.set(path, paths);
  return paths;
}

/** ValidateObjectMeta. A missing name is fine when generateName is set: the server generates it. */
export function validateObjectMeta(errs: Causes, rules: MetaRules, v: unknown, path = "metadata"): JsonObject | undefined {
  const meta = objectAt(errs, path, v);
  const p = metaPaths(path);
  if (!meta) {
    if (v === undefined || v === null) errs.push(fieldRequired(p.name, "name or generateName is required"));
    return undefined;
  }
  const generateName = stringAt(errs, p.generateName, meta.generateName);
  const name = stringAt(errs, p.name, meta.name);
  if (generateName) for (const msg of rules.name(generateName, true)) errs.push(fieldInvalid(p.generateName, generateName, msg));
  if (name) for (const msg of rules.name(name, false)) errs.push(fieldInvalid(p.name, name, msg));
  else if (!generateName) errs.push(fieldRequired(p.name, "name or generateName is required"));

  const namespace = stringAt(errs, p.namespace, meta.namespace);
  if (rules.namespaced) {
    if (!namespace) errs.push(fieldRequired(p.namespace));
    else for (const msg of isDNS1123Label(namespace)) errs.push(fieldInvalid(p.namespace, namespace, msg));
  } else if (namespace) {
    errs.push(fieldForbidden(p.namespace, "not allowed on this type"));
  }

  const generation = intAt(errs, p.generation, meta.generation);
  if (generation !== undefined && generation < 0) errs.push(fieldInvalid(p.generation, generation, "must be greater than or equal to 0"));
  validateLabels(errs, p.labels, meta.labels);
  validateAnnotations(errs, p.annotations, meta.annotations);
  validateOwnerReferences(errs, p.ownerReferences, meta.ownerReferences);
  validateFinalizers(errs, p.finalizers, meta.finalizers);
  arrayAt(errs, p.managedFields, meta.managedFields);
  return meta;
}

/**
 * ValidateObjectMetaUpdate: identity fields can't change. An update that leaves uid or
 * creationTimestamp out (kubectl replace) is not changing them: the server carries them over.
 */
export function validateObjectMetaUpdate(errs: Causes, v: unknown, oldV: unknown, path = "metadata"): void {
  // Shape problems were reported by validateObjectMeta already.
  const meta = objectAt([], path, v);
  const old = objectAt([], path, oldV);
  if (!meta || !old) return;
  for (const f of ["name", "namespace"]) {
    if ((meta[f] ?? "") !== (old[f] ?? "")) errs.push(fieldImmutable(child(path, f), meta[f] ?? ""));
  }
  for (const f of ["uid", "creationTimestamp"]) {
    if (meta[f] !== undefined && meta[f] !== "" && old[f] !== undefined && meta[f] !== old[f]) errs.push(fieldImmutable(child(path, f), meta[f]));
  }
  if (typeof meta.generation === "number" && typeof old.generation === "number" && meta.generation < old.generation) {
    errs.push(fieldInvalid(child(path, "generation"), meta.generation, "must not be decremented"));
  }
  // Nothing may hold up a deletion that is already under way.
  if (old.deletionTimestamp && Array.isArray(meta.finalizers)) {
    const before = new Set(Array.isArray(old.finalizers) ? old.finalizers : []);
    for (const f of meta.finalizers) {
      if (!before.has(f)) errs.push(fieldForbidden(child(path, "finalizers"), `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify([f])}`));
    }
  }
}
