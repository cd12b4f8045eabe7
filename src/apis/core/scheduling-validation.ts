// Validation of the placement fields: tolerations and affinity (pods), taints (nodes).
import { fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, absent, child, index, intAt, objectAt, objectsAt, stringAt, stringListAt } from "../field.ts";
import { validateLabelName, validateLabelSelector } from "../metadata.ts";
import { isValidLabelValue } from "../validation.ts";

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

function validateTaintEffect(errs: Causes, path: string, effect: string): void {
  if (!TAINT_EFFECTS.includes(effect)) errs.push(fieldNotSupported(path, effect, TAINT_EFFECTS));
}

export function validateTolerations(errs: Causes, path: string, v: unknown): void {
  for (const [t, p] of objectsAt(errs, path, v)) {
    const k = stringAt(errs, child(p, "key"), t.key) ?? "";
    const op = stringAt(errs, child(p, "operator"), t.operator) ?? "";
    const value = stringAt(errs, child(p, "value"), t.value) ?? "";
    const effect = stringAt(errs, child(p, "effect"), t.effect) ?? "";
    const seconds = intAt(errs, child(p, "tolerationSeconds"), t.tolerationSeconds);
    if (k) validateLabelName(errs, child(p, "key"), k);
    if (!k && op !== "Exists") {
      errs.push(fieldInvalid(child(p, "operator"), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (seconds !== undefined && effect !== "NoExecute") {
      errs.push(fieldInvalid(child(p, "effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === "Equal" || op === "") {
      const msgs = isValidLabelValue(value);
      if (msgs.length) errs.push(fieldInvalid(child(p, "operator"), value, msgs.join(";")));
    } else if (op === "Exists") {
      if (value) errs.push(fieldInvalid(child(p, "operator"), t, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(fieldNotSupported(child(p, "operator"), op, ["Equal", "Exists"]));
    }
    if (effect) validateTaintEffect(errs, child(p, "effect"), effect);
  }
}

export function validateTaints(errs: Causes, path: string, v: unknown): void {
  const seen = new Set<string>();
  for (const [t, p] of objectsAt(errs, path, v)) {
    const k = stringAt(errs, child(p, "key"), t.key) ?? "";
    if (!k) errs.push(fieldRequired(child(p, "key")));
    else validateLabelName(errs, child(p, "key"), k);
    const value = stringAt(errs, child(p, "value"), t.value) ?? "";
    for (const msg of isValidLabelValue(value)) errs.push(fieldInvalid(child(p, "value"), value, msg));
    const effect = stringAt(errs, child(p, "effect"), t.effect) ?? "";
    if (!effect) errs.push(fieldRequired(child(p, "effect")));
    else validateTaintEffect(errs, child(p, "effect"), effect);
    const id = `${k}:${effect}`;
    if (seen.has(id)) errs.push(fieldDuplicate(p, { key: k, effect }));
    seen.add(id);
  }
}

export function validateNodeSelectorTerm(errs: Causes, path: string, v: unknown): void {
  const term = objectAt(errs, path, v);
  if (!term) return;
  for (const list of ["matchExpressions", "matchFields"]) {
    for (const [rq, p] of objectsAt(errs, child(path, list), term[list])) {
      const values = stringListAt(errs, child(p, "values"), rq.values) ?? [];
      const op = rq.operator;
      if (op === "In" || op === "NotIn") {
        if (values.length === 0) errs.push(fieldRequired(child(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      } else if (op === "Exists" || op === "DoesNotExist") {
        if (values.length > 0) errs.push(fieldForbidden(child(p, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      } else if (op === "Gt" || op === "Lt") {
        if (values.length !== 1) errs.push(fieldRequired(child(p, "values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      } else {
        errs.push(fieldInvalid(child(p, "operator"), op, "not a valid selector operator"));
      }
      validateLabelName(errs, child(p, "key"), stringAt(errs, child(p, "key"), rq.key) ?? "");
    }
  }
}

/** Label keys the scheduler takes from the incoming pod (matchLabelKeys, mismatchLabelKeys). */
function validateLabelKeys(errs: Causes, path: string, v: unknown, selector: unknown): string[] {
  const keys = stringListAt(errs, path, v) ?? [];
  if (keys.length && absent(selector)) errs.push(fieldForbidden(path, "must not be specified when labelSelector is not set"));
  const sel = (selector ?? {}) as { matchLabels?: Record<string, unknown>; matchExpressions?: { key?: unknown }[] };
  const inSelector = new Set([...Object.keys(sel.matchLabels ?? {}), ...(Array.isArray(sel.matchExpressions) ? sel.matchExpressions.map((e) => e?.key) : [])]);
  keys.forEach((k, i) => {
    validateLabelName(errs, index(path, i), k);
    if (inSelector.has(k)) errs.push(fieldInvalid(index(path, i), k, "exists in both matchLabelKeys and labelSelector"));
  });
  return keys;
}

function validatePodAffinityTerm(errs: Causes, path: string, term: Record<string, unknown>): void {
  validateLabelSelector(errs, child(path, "labelSelector"), term.labelSelector);
  validateLabelSelector(errs, child(path, "namespaceSelector"), term.namespaceSelector);
  stringListAt(errs, child(path, "namespaces"), term.namespaces);
  const match = validateLabelKeys(errs, child(path, "matchLabelKeys"), term.matchLabelKeys, term.labelSelector);
  const mismatch = validateLabelKeys(errs, child(path, "mismatchLabelKeys"), term.mismatchLabelKeys, term.labelSelector);
  mismatch.forEach((k, i) => {
    if (match.includes(k)) errs.push(fieldInvalid(index(child(path, "mismatchLabelKeys"), i), k, "exists in both matchLabelKeys and mismatchLabelKeys"));
  });
  const topologyKey = stringAt(errs, child(path, "topologyKey"), term.topologyKey);
  if (!topologyKey) errs.push(fieldRequired(child(path, "topologyKey"), "can not be empty"));
  else validateLabelName(errs, child(path, "topologyKey"), topologyKey);
}

function validateWeight(errs: Causes, path: string, v: unknown): void {
  const w = intAt(errs, path, v);
  if (w === undefined || w < 1 || w > 100) errs.push(fieldInvalid(path, v, "must be in the range 1-100"));
}

export function validateAffinity(errs: Causes, path: string, v: unknown): void {
  const affinity = objectAt(errs, path, v);
  if (!affinity) return;
  const na = objectAt(errs, child(path, "nodeAffinity"), affinity.nodeAffinity);
  if (na) {
    const np = child(path, "nodeAffinity");
    const required = objectAt(errs, child(np, "requiredDuringSchedulingIgnoredDuringExecution"), na.requiredDuringSchedulingIgnoredDuringExecution);
    if (required) {
      const rp = child(np, "requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
      const terms = objectsAt(errs, rp, required.nodeSelectorTerms);
      if (terms.length === 0) errs.push(fieldRequired(rp, "must have at least one node selector term"));
      for (const [term, p] of terms) validateNodeSelectorTerm(errs, p, term);
    }
    for (const [pref, p] of objectsAt(errs, child(np, "preferredDuringSchedulingIgnoredDuringExecution"), na.preferredDuringSchedulingIgnoredDuringExecution)) {
      validateWeight(errs, child(p, "weight"), pref.weight);
      validateNodeSelectorTerm(errs, child(p, "preference"), pref.preference);
    }
  }
  for (const kind of ["podAffinity", "podAntiAffinity"]) {
    const pa = objectAt(errs, child(path, kind), affinity[kind]);
    if (!pa) continue;
    const pp = child(path, kind);
    for (const [term, p] of objectsAt(errs, child(pp, "requiredDuringSchedulingIgnoredDuringExecution"), pa.requiredDuringSchedulingIgnoredDuringExecution)) {
      validatePodAffinityTerm(errs, p, term);
    }
    for (const [w, p] of objectsAt(errs, child(pp, "preferredDuringSchedulingIgnoredDuringExecution"), pa.preferredDuringSchedulingIgnoredDuringExecution)) {
      validateWeight(errs, child(p, "weight"), w.weight);
      const term = objectAt(errs, child(p, "podAffinityTerm"), w.podAffinityTerm);
      if (term) validatePodAffinityTerm(errs, child(p, "podAffinityTerm"), term);
      else errs.push(fieldRequired(child(p, "podAffinityTerm")));
    }
  }
}

const WHEN_UNSATISFIABLE = ["DoNotSchedule", "ScheduleAnyway"];
const INCLUSION_POLICIES = ["Honor", "Ignore"];

/** spec.topologySpreadConstraints, with upstream's rules (ValidateTopologySpreadConstraints). */
export function validateTopologySpreadConstraints(errs: Causes, path: string, v: unknown): void {
  const seen = new Set<string>();
  for (const [c, p] of objectsAt(errs, path, v)) {
    const maxSkew = intAt(errs, child(p, "maxSkew"), c.maxSkew);
    if (maxSkew === undefined || maxSkew <= 0) errs.push(fieldInvalid(child(p, "maxSkew"), c.maxSkew ?? 0, "must be greater than zero"));
    const key = stringAt(errs, child(p, "topologyKey"), c.topologyKey) ?? "";
    if (!key) errs.push(fieldRequired(child(p, "topologyKey"), "can not be empty"));
    else validateLabelName(errs, child(p, "topologyKey"), key);
    const when = stringAt(errs, child(p, "whenUnsatisfiable"), c.whenUnsatisfiable) ?? "";
    if (!WHEN_UNSATISFIABLE.includes(when)) errs.push(fieldNotSupported(child(p, "whenUnsatisfiable"), when, WHEN_UNSATISFIABLE));
    const minDomains = intAt(errs, child(p, "minDomains"), c.minDomains);
    if (!absent(c.minDomains)) {
      if (minDomains === undefined || minDomains <= 0) errs.push(fieldInvalid(child(p, "minDomains"), c.minDomains, "must be greater than zero"));
      else if (when !== "DoNotSchedule") errs.push(fieldInvalid(child(p, "minDomains"), minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
    }
    const pair = `{${key}, ${when}}`;
    if (seen.has(pair)) errs.push(fieldDuplicate(child(p, "{topologyKey, whenUnsatisfiable}"), pair));
    seen.add(pair);
    for (const f of ["nodeAffinityPolicy", "nodeTaintsPolicy"]) {
      if (!absent(c[f]) && !INCLUSION_POLICIES.includes(c[f] as string)) errs.push(fieldNotSupported(child(p, f), c[f], INCLUSION_POLICIES));
    }
    validateLabelSelector(errs, child(p, "labelSelector"), c.labelSelector);
    validateLabelKeys(errs, child(p, "matchLabelKeys"), c.matchLabelKeys, c.labelSelector);
  }
}
