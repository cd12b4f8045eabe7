// Label and field selectors as the list and watch verbs take them
// (k8s.io/apimachinery/pkg/labels and pkg/fields).
import { badRequest } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";

export type LabelRequirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!" };

export type Selector = (obj: KubeObject) => boolean;

const everything: Selector = () => true;

/** Splits on commas that are not inside parentheses: "a in (x,y),b" → ["a in (x,y)", "b"]. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((t) => t.trim()).filter((t) => t !== "");
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key) || key.length > 316) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  return key;
}
function checkValue(value: string, whole: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${whole}"`);
  return value;
}

export function parseLabelSelector(s: string | undefined): LabelRequirement[] {
  if (!s) return [];
  return splitTerms(s).map((term): LabelRequirement => {
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (set) {
      const values = set[3]!.split(",").map((v) => checkValue(v.trim(), s));
      return { key: checkKey(set[1]!, s), op: set[2] as "in" | "notin", values };
    }
    const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (eq) return { key: checkKey(eq[1]!, s), op: eq[2] === "!=" ? "!=" : "=", value: checkValue(eq[3]!.trim(), s) };
    if (term.startsWith("!")) return { key: checkKey(term.slice(1).trim(), s), op: "!" };
    return { key: checkKey(term, s), op: "exists" };
  });
}

export function matchesLabels(reqs: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case "=":
        if (v !== r.value) return false;
        break;
      case "!=":
        if (v === r.value) return false;
        break;
      case "in":
        if (!has || !r.values.includes(v!)) return false;
        break;
      case "notin":
        if (has && r.values.includes(v!)) return false;
        break;
      case "exists":
        if (!has) return false;
        break;
      case "!":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Reads a dotted field path ("spec.nodeName", "involvedObject.uid") as a string. */
function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? "" : String(cur);
}

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

export function parseFieldSelector(s: string | undefined, supported: (field: string) => boolean): FieldRequirement[] {
  if (!s) return [];
  return splitTerms(s).map((term) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = m[1]!;
    if (!supported(field)) throw badRequest(`field label not supported: ${field}`);
    return { field, op: m[2] === "!=" ? "!=" : "=", value: m[3]!.trim() } as FieldRequirement;
  });
}

export function matchesFields(reqs: readonly FieldRequirement[], obj: KubeObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.field);
    if (r.op === "=" ? v !== r.value : v === r.value) return false;
  }
  return true;
}

const COMMON_FIELDS = new Set(["metadata.name", "metadata.namespace"]);
const KIND_FIELDS: Record<string, Set<string>> = {
  Pod: new Set(["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"]),
  Event: new Set([
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
  ]),
  Secret: new Set(["type"]),
  Node: new Set(["spec.unschedulable"]),
  Namespace: new Set(["status.phase"]),
  ReplicaSet: new Set(["status.replicas"]),
};

export const supportedField = (kind: string, selectable: readonly string[] = []) => (field: string) =>
  COMMON_FIELDS.has(field) || (KIND_FIELDS[kind]?.has(field) ?? false) || selectable.includes(field);

/**
 * Builds one predicate from a list request's labelSelector and fieldSelector. Throws BadRequest
 * when malformed. `selectable`: a custom resource's selectableFields.
 */
export function buildSelector(kind: string, labelSelector?: string, fieldSelector?: string, selectable?: readonly string[]): Selector {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(fieldSelector, supportedField(kind, selectable));
  if (labels.length === 0 && fields.length === 0) return everything;
  return (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, obj);
}
