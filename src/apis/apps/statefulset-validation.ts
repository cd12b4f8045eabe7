// StatefulSet validation, after pkg/apis/apps/validation ValidateStatefulSet: the pod template
// and selector as for every workload, the update strategy, claim templates validated as claims,
// and what may change after create.
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, absent, child, index, intAt, jsonEqual, nonNegative, objOf, objectAt, objectsAt, stringAt } from "../field.ts";
import { isDNS1123Label } from "../validation.ts";
import { validatePersistentVolumeClaim } from "../core/persistentvolume-validation.ts";
import { validateSelectorAndTemplate } from "./validation.ts";

const PERCENT = /^[0-9]+%$/;

function validateUpdateStrategy(errs: Causes, v: unknown): void {
  const s = objectAt(errs, "spec.updateStrategy", v);
  if (!s) return;
  if (s.type === "OnDelete") {
    if (!absent(s.rollingUpdate)) errs.push(fieldInvalid("spec.updateStrategy.rollingUpdate", s.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (s.type === "RollingUpdate") {
    const r = objectAt(errs, "spec.updateStrategy.rollingUpdate", s.rollingUpdate);
    if (!r) return;
    nonNegative(errs, "spec.updateStrategy.rollingUpdate.partition", r.partition);
    const mu = r.maxUnavailable;
    const p = "spec.updateStrategy.rollingUpdate.maxUnavailable";
    if (typeof mu === "string") {
      if (!PERCENT.test(mu)) errs.push(fieldInvalid(p, mu, "a valid percent string must be a numeric string followed by an ending '%'"));
      else if (Number(mu.slice(0, -1)) < 1 || Number(mu.slice(0, -1)) > 100) errs.push(fieldInvalid(p, mu, "must be between 1% and 100%"));
    } else if (!absent(mu) && (intAt(errs, p, mu) ?? 1) < 1) errs.push(fieldInvalid(p, mu, "must be greater than or equal to 1"));
  } else errs.push(fieldNotSupported("spec.updateStrategy.type", s.type, ["OnDelete", "RollingUpdate"]));
}

function validateClaimTemplates(errs: Causes, v: unknown): void {
  const names = new Set<string>();
  for (const [t, p] of objectsAt(errs, "spec.volumeClaimTemplates", v)) {
    const name = stringAt(errs, child(p, "metadata.name"), objOf(t.metadata)?.name);
    if (!name) errs.push(fieldRequired(child(p, "metadata.name")));
    else {
      for (const msg of isDNS1123Label(name)) errs.push(fieldInvalid(child(p, "metadata.name"), name, msg));
      if (names.has(name)) errs.push(fieldInvalid(child(p, "metadata.name"), name, "duplicate claim template name"));
      names.add(name);
    }
    // Validated as the claims made from it will be, with paths under the template.
    const inner: Causes = [];
    validatePersistentVolumeClaim(inner, t);
    for (const c of inner) errs.push({ ...c, field: `${p}.${c.field}`, message: c.message });
  }
}

/**
 * The spec with each claim template as a pod volume, as the controller makes its pods: mounts
 * may name a claim template (kube skips pod spec validation here for that reason; kubun
 * validates the pods the set will make instead).
 */
function withClaimVolumes(spec: JsonObject): JsonObject {
  const template = objOf(spec.template);
  const podSpec = objOf(template?.spec);
  if (!template || !podSpec || !Array.isArray(spec.volumeClaimTemplates)) return spec;
  const names = spec.volumeClaimTemplates.map((t) => objOf(objOf(t)?.metadata)?.name).filter((n): n is string => typeof n === "string");
  const volumes = Array.isArray(podSpec.volumes) ? podSpec.volumes.filter((v) => !names.includes(objOf(v)?.name as string)) : [];
  const claimVolumes = names.map((name) => ({ name, persistentVolumeClaim: { claimName: `${name}-x` } }));
  return { ...spec, template: { ...template, spec: { ...podSpec, volumes: [...volumes, ...claimVolumes] } } };
}

export function validateStatefulSet(errs: Causes, sts: JsonObject): void {
  const spec = objectAt(errs, "spec", sts.spec);
  if (!spec) return void errs.push(fieldRequired("spec.selector"), fieldRequired("spec.template"));
  nonNegative(errs, "spec.replicas", spec.replicas);
  nonNegative(errs, "spec.minReadySeconds", spec.minReadySeconds);
  nonNegative(errs, "spec.revisionHistoryLimit", spec.revisionHistoryLimit);
  validateSelectorAndTemplate(errs, withClaimVolumes(spec));
  const serviceName = stringAt(errs, "spec.serviceName", spec.serviceName);
  if (serviceName) for (const msg of isDNS1123Label(serviceName)) errs.push(fieldInvalid("spec.serviceName", serviceName, msg));
  const policies = ["OrderedReady", "Parallel"];
  if (!absent(spec.podManagementPolicy) && !policies.includes(spec.podManagementPolicy as string)) errs.push(fieldNotSupported("spec.podManagementPolicy", spec.podManagementPolicy, policies));
  validateUpdateStrategy(errs, spec.updateStrategy);
  validateClaimTemplates(errs, spec.volumeClaimTemplates);
  const retention = objectAt(errs, "spec.persistentVolumeClaimRetentionPolicy", spec.persistentVolumeClaimRetentionPolicy);
  for (const f of ["whenDeleted", "whenScaled"]) {
    const v = retention?.[f];
    if (!absent(v) && v !== "Retain" && v !== "Delete") errs.push(fieldNotSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, ["Retain", "Delete"]));
  }
  const ordinals = objectAt(errs, "spec.ordinals", spec.ordinals);
  if (ordinals) nonNegative(errs, "spec.ordinals.start", ordinals.start);
}

/** kube's message: only these spec fields may change after create. */
const MUTABLE = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];
const FORBIDDEN_UPDATE = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

export function validateStatefulSetUpdate(errs: Causes, sts: JsonObject, old: JsonObject): void {
  const spec = objOf(sts.spec) ?? {};
  const oldSpec = objOf(old.spec) ?? {};
  const fields = new Set([...Object.keys(spec), ...Object.keys(oldSpec)].filter((f) => !MUTABLE.includes(f)));
  // Each changed field is named, so `kubectl apply` says which one it was.
  for (const f of [...fields].sort()) {
    if (jsonEqual(spec[f], oldSpec[f])) continue;
    if (f === "volumeClaimTemplates") {
      const a = Array.isArray(spec[f]) ? (spec[f] as unknown[]) : [];
      const b = Array.isArray(oldSpec[f]) ? (oldSpec[f] as unknown[]) : [];
      const i = a.findIndex((t, n) => !jsonEqual(t, b[n]));
      errs.push(fieldForbidden(i >= 0 && a.length === b.length ? index("spec.volumeClaimTemplates", i) : "spec.volumeClaimTemplates", FORBIDDEN_UPDATE));
    } else errs.push(fieldForbidden(child("spec", f), FORBIDDEN_UPDATE));
  }
}
