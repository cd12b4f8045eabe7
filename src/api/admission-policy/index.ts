// The ValidatingAdmissionPolicy admission plugin: policies and bindings from a watched cache
// (cache.ts), matched against each request (matching.ts), evaluated (validator.ts), and the
// decisions acted on as each binding's validationActions say — Deny refuses the request with
// upstream's Status (`ValidatingAdmissionPolicy 'p' with binding 'b' denied request: ...`,
// reason and code from the validation, Invalid/422 when unset), Warn adds a Warning header,
// Audit adds the `validation.policy.admission.k8s.io/validation_failure` audit annotation.
// admission.ts runs it after the mutating webhooks and before the validating ones, as
// kube-apiserver orders its plugins.
import { findResource, type ResourceInfo } from "../../apis/registry.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { notFound, type StatusError } from "../../apis/errors.ts";
import { admissionValue } from "../../apis/cel/index.ts";
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "../../apis/admissionregistration/policy.ts";
import type { AdmitWrite } from "../admit-write.ts";
import { objectKey, type Storage } from "../storage.ts";
import { admissionForbidden, type AdmissionAttributes } from "../webhooks/attributes.ts";
import { requestAttributes, scaleAttributes, sendsOwnObject, type WebhookRequest } from "../webhooks/index.ts";
import { NamespaceNotFound, type NamespaceLabels } from "../webhooks/matching.ts";
import { admissionReview } from "../webhooks/review.ts";
import { PolicyCache } from "./cache.ts";
import { ParamSource } from "./params.ts";
import { matchResourcesMatch } from "./matching.ts";
import { evaluatePolicy, type Decision } from "./validator.ts";

const NAMESPACES = findResource("", "v1", "namespaces")!;
// As upstream, the admission configuration kinds are never subject to policies: a bad policy can always be removed.
const EXEMPT = new Set(["validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings"]);

const CODES: Record<string, number> = { Unauthorized: 401, Forbidden: 403, RequestEntityTooLarge: 413, Invalid: 422 };

interface Denial {
  policy: ValidatingAdmissionPolicy;
  binding: ValidatingAdmissionPolicyBinding;
  decision: Decision;
}

export class PolicyAdmission {
  private readonly cache: PolicyCache;
  private readonly namespace: (name: string) => KubeObject | undefined;
  private readonly params: ParamSource;

  constructor(storage: Storage) {
    this.cache = new PolicyCache(storage);
    this.params = new ParamSource(storage);
    this.namespace = (name) => storage.store.get(objectKey(NAMESPACES, undefined, name))?.object;
  }

  /** The ValidatingAdmissionPolicy step of a create or update of `r`. */
  validating(r: ResourceInfo, req: WebhookRequest): AdmitWrite | undefined {
    if (req.subresource === "scale") {
      return async (obj, old) => {
        if (this.cache.hooks.length) this.admit(scaleAttributes(r, req, obj, old), req);
      };
    }
    if (!sendsOwnObject(r, req.subresource)) return undefined;
    // Synchronous: policies are evaluated in process, and most writes meet none.
    return (obj, old) => {
      if (this.cache.hooks.length) this.admit(requestAttributes(r, req, obj, old), req);
    };
  }

  get active(): boolean {
    return this.cache.hooks.length > 0;
  }

  /** A DELETE of `current`: the object is oldObject, object is null, as upstream sends deletes. */
  admitDelete(r: ResourceInfo, req: WebhookRequest, current: KubeObject, options: Record<string, unknown>): void {
    if (!this.cache.hooks.length) return;
    this.admit({ ...requestAttributes(r, req, undefined, current), operation: "DELETE", options }, req);
  }

  close(): void {
    this.cache.close();
  }

  /** Dispatch: evaluates every policy and binding that match `a`; throws the first denial. */
  admit(a: AdmissionAttributes, req: WebhookRequest): void {
    if (a.resource.group === "admissionregistration.k8s.io" && EXEMPT.has(a.resource.resource)) return;
    const labels: NamespaceLabels = (ns) => {
      const o = this.namespace(ns);
      return o ? (o.metadata.labels ?? {}) : undefined;
    };
    const denials: Denial[] = [];
    let bindings: Record<string, unknown> | undefined;
    try {
      for (const { policy, bindings: policyBindings } of this.cache.hooks) {
        if (!matchResourcesMatch(policy.spec?.matchConstraints, a, labels, true)) continue;
        const annotations = new Map<string, string[]>();
        for (const binding of policyBindings) {
          if (!matchResourcesMatch(binding.spec?.matchResources, a, labels, false)) continue;
          const params = this.params.collect(policy, binding, a);
          if ("error" in params) {
            // A configuration error: failurePolicy decides, as for an evaluation error.
            if (policy.spec?.failurePolicy !== "Ignore") denials.push({ policy, binding, decision: { index: -1, message: `failed to configure binding: ${params.error}` } });
            continue;
          }
          bindings ??= this.bindings(a);
          for (const param of params.objects) {
            const result = evaluatePolicy(policy, { ...bindings, params: admissionValue(param) });
            for (const [key, value] of result.auditAnnotations) {
              const values = annotations.get(key) ?? [];
              if (!values.includes(value)) annotations.set(key, [...values, value]);
            }
            this.act(policy, binding, result.decisions, req, denials);
          }
        }
        for (const [key, values] of annotations) req.annotate?.(`${policy.metadata.name}/${key}`, values.join(", "));
      }
    } catch (err) {
      if (err instanceof NamespaceNotFound) throw notFound({ resource: "namespaces" }, a.namespace);
      throw err;
    }
    if (denials.length) throw denialError(a, denials[0]!);
  }

  private act(policy: ValidatingAdmissionPolicy, binding: ValidatingAdmissionPolicyBinding, decisions: Decision[], req: WebhookRequest, denials: Denial[]): void {
    const actions = binding.spec?.validationActions ?? [];
    for (const decision of decisions) {
      for (const action of actions) {
        if (action === "Deny") denials.push({ policy, binding, decision });
        else if (action === "Warn") req.warnings.push(`Validation failed for ValidatingAdmissionPolicy '${policy.metadata.name}' with binding '${binding.metadata.name}': ${decision.message}`);
        else if (action === "Audit") {
          const value = [{ message: decision.message, policy: binding.spec?.policyName, binding: binding.metadata.name, expressionIndex: Math.max(decision.index, 0), validationActions: actions }];
          req.annotate?.("validation.policy.admission.k8s.io/validation_failure", JSON.stringify(value));
        }
      }
    }
  }

  /** The CEL variables of a request but params: object, oldObject, request, namespaceObject. */
  private bindings(a: AdmissionAttributes): Record<string, unknown> {
    const request = admissionReview(a, "", ["v1"]).request;
    const isNamespace = a.kind.group === "" && a.kind.kind === "Namespace";
    const ns = a.namespace && !isNamespace ? this.namespace(a.namespace) : undefined;
    return {
      object: admissionValue(a.object),
      oldObject: admissionValue(a.oldObject),
      request: admissionValue(request),
      namespaceObject: admissionValue(ns),
    };
  }
}

function denialError(a: AdmissionAttributes, d: Denial): StatusError {
  const message = `ValidatingAdmissionPolicy '${d.policy.metadata.name}' with binding '${d.binding.metadata.name}' denied request: ${d.decision.message}`;
  const err = admissionForbidden(a, message);
  const reason = d.decision.reason || "Invalid";
  err.status.reason = reason;
  err.status.code = CODES[reason] ?? 422;
  err.status.details = { ...err.status.details, causes: [{ message }] };
  return err;
}
