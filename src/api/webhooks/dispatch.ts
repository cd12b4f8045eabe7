// The MutatingAdmissionWebhook and ValidatingAdmissionWebhook admission plugins, after
// kube-apiserver's admission/plugin/webhook/{mutating,validating}/dispatcher.go.
//
// Mutating webhooks are called one after the other in configuration-name order; each answer's
// JSONPatch is applied to the object before the next one sees it, then the object is defaulted
// again. A webhook with reinvocationPolicy IfNeeded is called once more when a webhook after it
// changed the object. kubun's registry validates before admission (storage.ts), so the mutated
// object is validated again here, as kube-apiserver validates after mutating admission.
// Validating webhooks are called in parallel and any refusal refuses the request.
//
// A webhook that cannot be called (unreachable, timed out, TLS refused, a malformed answer)
// refuses the request with upstream's 500 `failed calling webhook "x": ...` under failurePolicy
// Fail and is skipped under Ignore (recorded as a failed-open audit annotation). A refusal is
// the webhook's Status, worded `admission webhook "x" denied the request: ...`. Warnings become
// Warning headers; audit annotations are recorded as `<webhook name>/<key>`. Dry-run requests
// reach only webhooks declaring sideEffects None or NoneOnDryRun; any other refuses them.
import { applyDefaults, validateObject, validateStatusUpdate } from "../../apis/index.ts";
import { badRequest, fieldForbidden, internalError, invalid, notFound, StatusError } from "../../apis/errors.ts";
import type { KubeObject, Status } from "../../apis/meta.ts";
import { jsonPatch } from "../patch/index.ts";
import type { Webhook } from "../../apis/admissionregistration/webhook.ts";
import { admissionForbidden, type AdmissionAttributes } from "./attributes.ts";
import { compileConditions, matchConditions } from "../../apis/admissionregistration/match-conditions.ts";
import { admissionValue, WEBHOOK_MATCH_VARIABLES } from "../../apis/cel/index.ts";
import { CallError, type WebhookClient } from "./client.ts";
import type { ConfiguredWebhook } from "./config-cache.ts";
import { webhookMatches, NamespaceNotFound, type NamespaceLabels } from "./matching.ts";
import { admissionResult, admissionReview, type AdmissionResult } from "./review.ts";

/** Where a request's Warning headers and audit annotations go. */
export interface RequestRecorder {
  warnings: string[];
  annotate?: (key: string, value: string) => void;
}

export interface DispatchDeps {
  client: WebhookClient;
  namespaceLabels: NamespaceLabels;
}

function matching(hooks: readonly ConfiguredWebhook[], a: AdmissionAttributes, deps: DispatchDeps): [ConfiguredWebhook, number][] {
  const out: [ConfiguredWebhook, number][] = [];
  hooks.forEach((h, i) => {
    try {
      if (webhookMatches(h.hook, a, deps.namespaceLabels) && conditionsMatch(h.hook, a)) out.push([h, i]);
    } catch (err) {
      if (err instanceof NamespaceNotFound) throw notFound({ resource: "namespaces" }, a.namespace);
      throw err;
    }
  });
  return out;
}

/**
 * The webhook's matchConditions (after generic/webhook.go ShouldCallHook): a false condition
 * skips the webhook; an evaluation error skips it under failurePolicy Ignore and refuses the
 * request under Fail, with upstream's Forbidden `failed calling webhook "x": ...`.
 */
function conditionsMatch(hook: Webhook, a: AdmissionAttributes): boolean {
  if (!hook.matchConditions?.length) return true;
  const programs = compileConditions(hook, hook.matchConditions, WEBHOOK_MATCH_VARIABLES);
  const request = admissionReview(a, "", ["v1"]).request as Record<string, unknown>;
  const result = matchConditions(programs, { object: admissionValue(a.object), oldObject: admissionValue(a.oldObject), request: admissionValue(request) });
  if ("matches" in result) return result.matches;
  if (hook.failurePolicy === "Ignore") return false;
  throw admissionForbidden(a, `failed calling webhook ${JSON.stringify(hook.name)}: ${result.error}`);
}

/** Calls one webhook; CallError when it cannot be called or answers nonsense. */
async function call(hook: Webhook, a: AdmissionAttributes, deps: DispatchDeps, mutating: boolean): Promise<AdmissionResult> {
  if (a.dryRun && hook.sideEffects !== "None" && hook.sideEffects !== "NoneOnDryRun") {
    throw badRequest(`admission webhook ${JSON.stringify(hook.name)} does not support dry run`);
  }
  const review = admissionReview(a, crypto.randomUUID(), hook.admissionReviewVersions);
  const answer = await deps.client.post(hook, review);
  return admissionResult(review, answer, mutating);
}

/** ToStatusErr: a webhook's refusal as the Status the client gets. */
export function deniedError(name: string, status: Partial<Status> | undefined): StatusError {
  const deniedBy = `admission webhook ${JSON.stringify(name)} denied the request`;
  const s = { ...(status ?? {}) };
  const code = typeof s.code === "number" && s.code >= 400 && s.code <= 599 ? s.code : 400;
  const message = typeof s.message === "string" && s.message ? `${deniedBy}: ${s.message}` : typeof s.reason === "string" && s.reason ? `${deniedBy}: ${s.reason}` : `${deniedBy} without explanation`;
  const out: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, code };
  if (typeof s.reason === "string" && s.reason) out.reason = s.reason;
  if (s.details && typeof s.details === "object") out.details = s.details;
  return new StatusError(out);
}

function callFailed(hook: Webhook, err: CallError): StatusError {
  const e = internalError(`failed calling webhook ${JSON.stringify(hook.name)}: ${err.message}`);
  e.status.details = { causes: [{ message: `failed calling webhook ${JSON.stringify(hook.name)}: ${err.message}` }] };
  return e;
}

function record(rec: RequestRecorder, hook: Webhook, result: AdmissionResult): void {
  rec.warnings.push(...result.warnings);
  for (const [k, v] of Object.entries(result.auditAnnotations)) rec.annotate?.(`${hook.name}/${k}`, v);
}

/** Runs the validating webhooks that match `a`; throws the Status that refuses the request. */
export async function validate(hooks: readonly ConfiguredWebhook[], a: AdmissionAttributes, deps: DispatchDeps, rec: RequestRecorder): Promise<void> {
  const calls = matching(hooks, a, deps).map(async ([{ hook }, i]): Promise<StatusError | undefined> => {
    try {
      const result = await call(hook, a, deps, false);
      record(rec, hook, result);
      return result.allowed ? undefined : deniedError(hook.name, result.status);
    } catch (err) {
      if (!(err instanceof CallError)) throw err;
      if (hook.failurePolicy === "Ignore") {
        rec.annotate?.(`failed-open.validating.webhook.admission.k8s.io/round_0_index_${i}`, hook.name);
        return undefined;
      }
      return callFailed(hook, err);
    }
  });
  const refusal = (await Promise.all(calls)).find((e) => e !== undefined);
  if (refusal) throw refusal;
}

/**
 * Runs the mutating webhooks that match `a` on `obj` in place (the object of a create or
 * update); whether any changed it. Without `obj` (DELETE, CONNECT) they are called with
 * `a.object` as it is and a patch has nothing to apply to.
 */
export async function mutate(hooks: readonly ConfiguredWebhook[], a: AdmissionAttributes, obj: KubeObject | undefined, deps: DispatchDeps, rec: RequestRecorder): Promise<boolean> {
  const current = (): AdmissionAttributes => (obj ? { ...a, object: obj } : a);
  let reinvoke = new Set<number>();
  let previouslyInvoked = new Set<number>();
  let mutatedAny = false;
  for (let round = 0; round < 2; round++) {
    if (round === 1 && !reinvoke.size) break;
    let changedThisRound = false;
    for (const [{ configuration, hook }, i] of matching(hooks, current(), deps)) {
      if (round === 1 && !reinvoke.has(i)) continue;
      let changed = false;
      try {
        const result = await call(hook, current(), deps, true);
        record(rec, hook, result);
        if (!result.allowed) throw deniedError(hook.name, result.status);
        if (result.patch !== undefined && obj) changed = applyPatch(hook, obj, result.patch);
      } catch (err) {
        if (!(err instanceof CallError)) throw err;
        if (hook.failurePolicy !== "Ignore") throw callFailed(hook, err);
        rec.annotate?.(`failed-open.mutating.webhook.admission.k8s.io/round_${round}_index_${i}`, hook.name);
      }
      rec.annotate?.(`mutation.webhook.admission.k8s.io/round_${round}_index_${i}`, JSON.stringify({ configuration, webhook: hook.name, mutated: changed }));
      if (changed) {
        mutatedAny = changedThisRound = true;
        // Everything called before with IfNeeded saw an older object: call it again.
        if (round === 0) for (const p of previouslyInvoked) reinvoke.add(p);
        previouslyInvoked = new Set();
      }
      if (hook.reinvocationPolicy === "IfNeeded") previouslyInvoked.add(i);
    }
    if (round === 0 && !changedThisRound) reinvoke = new Set();
  }
  return mutatedAny;
}

/** Applies a webhook's JSON patch to `obj` in place; whether it changed anything. */
function applyPatch(hook: Webhook, obj: KubeObject, patch: unknown): boolean {
  let patched: KubeObject;
  try {
    patched = jsonPatch(obj, patch) as KubeObject;
  } catch (err) {
    const why = err instanceof StatusError ? err.message : String(err);
    throw internalError(`admission webhook ${JSON.stringify(hook.name)} returned a patch that cannot be applied: ${why}`);
  }
  if (typeof patched !== "object" || patched === null || Array.isArray(patched) || typeof patched.metadata !== "object" || patched.metadata === null) {
    throw internalError(`admission webhook ${JSON.stringify(hook.name)} returned a patch that removes the object's metadata`);
  }
  const before = obj.metadata;
  for (const f of ["name", "namespace"] as const) {
    if (patched.metadata[f] !== before[f]) {
      throw invalid(obj.kind ?? "", before.name ?? "", [fieldForbidden(`metadata.${f}`, `may not be changed by admission webhook ${JSON.stringify(hook.name)}`)]);
    }
  }
  // What the registry itself sets is the registry's, as kube-apiserver sets it after admission.
  for (const f of ["uid", "creationTimestamp", "resourceVersion", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields"] as const) {
    if (before[f] === undefined) delete patched.metadata[f];
    else (patched.metadata as Record<string, unknown>)[f] = before[f];
  }
  patched.apiVersion = obj.apiVersion;
  patched.kind = obj.kind;
  if (Bun.deepEquals(patched, obj, true)) return false;
  for (const k of Object.keys(obj)) delete (obj as Record<string, unknown>)[k];
  Object.assign(obj, patched);
  return true;
}

/** The registry's defaulting and validation, again, for an object mutating webhooks changed. */
export function revalidate(a: AdmissionAttributes, obj: KubeObject, old: KubeObject | undefined): void {
  applyDefaults(a.resource, obj);
  const causes = old && a.subresource === "status" ? validateStatusUpdate(a.resource, obj, old) : validateObject(a.resource, obj, old);
  if (causes.length) throw invalid(a.resource.kind, obj.metadata?.name ?? "", causes, a.resource.group || undefined);
}
