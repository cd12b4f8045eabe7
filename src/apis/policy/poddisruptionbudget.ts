// policy/v1 PodDisruptionBudget and Eviction: types, validation (after
// pkg/apis/policy/validation) and the `kubectl get pdb` columns. The disruption controller
// (src/controllers/disruption.ts) fills the status; the pods/eviction subresource
// (src/api/handlers/eviction.ts) reads it, through the rules in ./disruption.ts.
import { fieldInvalid, fieldNotSupported } from "../errors.ts";
import { type Causes, type JsonObject, intAt, objectAt, stringAt } from "../field.ts";
import type { KubeObject, ObjectMeta } from "../meta.ts";
import { validateLabelSelector } from "../metadata.ts";
import type { LabelSelector } from "../selector.ts";
import { type Printer, age, column } from "../table.ts";
import { validatePositiveIntOrPercent } from "../apps/validation.ts";

export const UNHEALTHY_POD_EVICTION_POLICIES = ["AlwaysAllow", "IfHealthyBudget"];

export interface PodDisruptionBudgetSpec {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  selector?: LabelSelector | null;
  unhealthyPodEvictionPolicy?: "IfHealthyBudget" | "AlwaysAllow";
}

/** metav1.Condition, as PDBs carry it (message and observedGeneration included). */
export interface MetaCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface PodDisruptionBudgetStatus {
  observedGeneration?: number;
  /** Pods the eviction subresource has let go but whose deletion the controller has not seen yet: name → time. */
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: MetaCondition[];
}

export interface PodDisruptionBudget extends KubeObject {
  apiVersion?: "policy/v1";
  kind?: "PodDisruptionBudget";
  spec?: PodDisruptionBudgetSpec;
  status?: PodDisruptionBudgetStatus;
}

/** The body of POST pods/{name}/eviction. */
export interface Eviction extends KubeObject {
  apiVersion?: "policy/v1" | "policy/v1beta1";
  kind?: "Eviction";
  metadata: ObjectMeta;
  deleteOptions?: JsonObject;
}

export const DISRUPTION_ALLOWED = "DisruptionAllowed";
export const SUFFICIENT_PODS = "SufficientPods";
export const INSUFFICIENT_PODS = "InsufficientPods";
export const SYNC_FAILED = "SyncFailed";

const PERCENT = /^[0-9]+%$/;

function validateIntOrPercent(errs: Causes, path: string, v: unknown): void {
  if (v === undefined || v === null) return;
  validatePositiveIntOrPercent(errs, path, v);
  if (typeof v === "string" && PERCENT.test(v) && Number(v.slice(0, -1)) > 100) errs.push(fieldInvalid(path, v, "must not be greater than 100%"));
}

export function validatePodDisruptionBudget(errs: Causes, pdb: JsonObject): void {
  const spec = objectAt(errs, "spec", pdb.spec) ?? {};
  const present = (v: unknown) => v !== undefined && v !== null;
  if (present(spec.minAvailable) && present(spec.maxUnavailable)) {
    errs.push(fieldInvalid("spec", spec, "minAvailable and maxUnavailable cannot be both set"));
  }
  validateIntOrPercent(errs, "spec.minAvailable", spec.minAvailable);
  validateIntOrPercent(errs, "spec.maxUnavailable", spec.maxUnavailable);
  validateLabelSelector(errs, "spec.selector", spec.selector);
  const policy = stringAt(errs, "spec.unhealthyPodEvictionPolicy", spec.unhealthyPodEvictionPolicy);
  if (policy !== undefined && !UNHEALTHY_POD_EVICTION_POLICIES.includes(policy)) {
    errs.push(fieldNotSupported("spec.unhealthyPodEvictionPolicy", policy, UNHEALTHY_POD_EVICTION_POLICIES));
  }
}

const STATUS_COUNTS = ["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods", "observedGeneration"];

export function validatePodDisruptionBudgetStatus(errs: Causes, pdb: JsonObject): void {
  const status = objectAt(errs, "status", pdb.status) ?? {};
  for (const f of STATUS_COUNTS) {
    const n = intAt(errs, `status.${f}`, status[f]);
    if (n !== undefined && n < 0) errs.push(fieldInvalid(`status.${f}`, n, "must be greater than or equal to 0"));
  }
  const disrupted = objectAt(errs, "status.disruptedPods", status.disruptedPods) ?? {};
  for (const [name, t] of Object.entries(disrupted)) {
    if (typeof t !== "string" || Number.isNaN(Date.parse(t))) errs.push(fieldInvalid(`status.disruptedPods[${name}]`, t, "must be an RFC3339 time"));
  }
}

/** A new PDB's status: nothing allowed until the controller has counted. */
export function emptyPdbStatus(obj: KubeObject): void {
  (obj as PodDisruptionBudget).status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
}

const intOrNA = (v: number | string | undefined) => (v === undefined || v === null ? "N/A" : String(v));

export const podDisruptionBudgetPrinter: Printer<PodDisruptionBudget> = {
  columns: [
    column("Name"),
    column("Min Available", "The minimum number of pods that must be available."),
    column("Max Unavailable", "The maximum number of pods that may be unavailable."),
    column("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time.", { type: "integer" }),
    column("Age"),
  ],
  cells: (pdb, now) => [pdb.metadata.name, intOrNA(pdb.spec?.minAvailable), intOrNA(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, age(pdb, now)],
};
