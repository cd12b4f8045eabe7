// The admission steps of a write that need the request's user, run by the registry after
// defaulting and validation (kube-apiserver runs them as admission plugins and, for RBAC, in
// the policy-based storage), in kube-apiserver's order: the mutating LimitRanger, ServiceAccount
// (a pod's image pull secrets), Priority and mutating admission webhooks first, then the checks
// of the object they leave: NodeRestriction for a node's writes to Nodes, RBAC escalation
// prevention for roles and bindings, PodSecurity (pods, workload templates and namespaces),
// ValidatingAdmissionPolicy (admission-policy/), the validating admission webhooks (webhooks/)
// and ResourceQuota. Each step decides whether it applies.
import type { AdmitWrite, Release } from "./admit-write.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { UserInfo } from "./auth.ts";
import { nodeRestriction } from "./node-restriction.ts";
import { rbacEscalation, type EscalationDeps } from "./rbac-escalation.ts";
import { resourceQuotaAdmission, type QuotaDeps } from "./quota-admission.ts";
import { limitRangerAdmission } from "./limitranger-admission.ts";
import { serviceAccountAdmission } from "./serviceaccount-admission.ts";
import { podSecurity, type PodSecurityDeps } from "./pod-security/index.ts";
import type { WebhookAdmission, WebhookRequest } from "./webhooks/index.ts";
import { priorityAdmission } from "./priority-admission.ts";
import type { PolicyAdmission } from "./admission-policy/index.ts";

export type { AdmitWrite, Release } from "./admit-write.ts";

/** The admission checks a user's write to `r` goes through, or undefined when there are none. */
export function admissionFor(
  user: UserInfo | undefined,
  r: ResourceInfo,
  escalation: EscalationDeps | undefined,
  quota?: QuotaDeps,
  pss?: { deps: PodSecurityDeps | undefined; subresource: string | undefined; warnings: string[]; annotate?: (key: string, value: string) => void },
  webhooks?: { admission: WebhookAdmission; request: WebhookRequest; policies?: PolicyAdmission },
): AdmitWrite | undefined {
  // Each write asks (most kinds' writes find one step that applies, or none): the steps that
  // apply are kept as they are found, without a list of all ten filtered afterwards.
  let first: AdmitWrite | undefined;
  let steps: AdmitWrite[] | undefined;
  const add = (step: AdmitWrite | undefined | false) => {
    if (!step) return;
    if (first === undefined) first = step;
    else (steps ??= [first]).push(step);
  };
  add(limitRangerAdmission(r, quota?.store, pss?.subresource));
  add(serviceAccountAdmission(r, quota?.store));
  add(priorityAdmission(r, quota?.store));
  // MutatingAdmissionWebhook ends the mutating plugins: the checks after it see what it changed
  // (as kube-apiserver validates only after all mutation, and checks RBAC escalation in storage).
  add(webhooks?.admission.mutating(r, webhooks.request));
  add(nodeRestriction(user, r));
  add(rbacEscalation(user, r, escalation));
  add(pss && podSecurity(user, r, pss.subresource, pss.deps, pss.warnings, pss.annotate));
  add(webhooks?.policies?.validating(r, webhooks.request));
  add(webhooks?.admission.validating(r, webhooks.request));
  add(resourceQuotaAdmission(r, quota));
  if (!steps) return first;
  const all = steps;
  return (obj, old) => runSteps(all, obj, old);
}

/**
 * The steps in order, synchronously while each answers at once (most do: no webhooks, no quota
 * in the namespace), awaiting from the first that returns a promise on. A write whose admission
 * has nothing to wait for takes no promise or microtask turn of it.
 */
function runSteps(steps: AdmitWrite[], obj: KubeObject, old: KubeObject | undefined): Release | Promise<Release> {
  const releases: Release[] = [];
  try {
    for (let i = 0; i < steps.length; i++) {
      const out = steps[i]!(obj, old);
      if (out instanceof Promise) return awaitSteps(out, steps, i + 1, releases, obj, old);
      if (typeof out === "function") releases.push(out);
    }
  } catch (err) {
    releaseAll(releases);
    throw err;
  }
  return () => releaseAll(releases);
}

async function awaitSteps(pending: Promise<void | Release>, steps: AdmitWrite[], next: number, releases: Release[], obj: KubeObject, old: KubeObject | undefined): Promise<Release> {
  try {
    const first = await pending;
    if (typeof first === "function") releases.push(first);
    for (let i = next; i < steps.length; i++) {
      const release: unknown = await steps[i]!(obj, old);
      if (typeof release === "function") releases.push(release as Release);
    }
  } catch (err) {
    releaseAll(releases);
    throw err;
  }
  return () => releaseAll(releases);
}

const releaseAll = (releases: Release[]) => releases.forEach((release) => release());
