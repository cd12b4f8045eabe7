// The admission steps of a write that need the request's user, run by the registry after
// defaulting and validation (kube-apiserver runs them as admission plugins and, for RBAC, in
// the policy-based storage): NodeRestriction for a node's writes to Nodes, and RBAC escalation
// prevention for roles and bindings, PodSecurity for pods, workload templates and namespaces.
// Each step decides whether it applies to a request.
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import type { UserInfo } from "./auth.ts";
import { nodeRestriction } from "./node-restriction.ts";
import { rbacEscalation, type EscalationDeps } from "./rbac-escalation.ts";
import { podSecurity, type PodSecurityDeps } from "./pod-security/index.ts";

/** An admission check of a create (old undefined) or an update; throws the Status to answer. */
export type AdmitWrite = (obj: KubeObject, old: KubeObject | undefined) => void | Promise<void>;

/** The admission checks a user's write to `r` goes through, or undefined when there are none. */
export function admissionFor(
  user: UserInfo | undefined,
  r: ResourceInfo,
  escalation: EscalationDeps | undefined,
  pss?: { deps: PodSecurityDeps | undefined; subresource: string | undefined; warnings: string[] },
): AdmitWrite | undefined {
  const steps = [
    nodeRestriction(user, r),
    rbacEscalation(user, r, escalation),
    pss && podSecurity(user, r, pss.subresource, pss.deps, pss.warnings),
  ].filter((s) => s !== undefined);
  if (steps.length <= 1) return steps[0];
  return async (obj, old) => {
    for (const step of steps) await step(obj, old);
  };
}
