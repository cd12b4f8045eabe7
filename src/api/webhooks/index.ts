// Admission webhooks in the API server's write path: ValidatingWebhookConfiguration and
// MutatingWebhookConfiguration objects, read from a watched cache (config-cache.ts), matched
// against each request (matching.ts), called over HTTPS (client.ts, resolver.ts) with an
// AdmissionReview (review.ts) by the two dispatchers (dispatch.ts). admission.ts places the
// mutating step after the built-in mutating steps and the validating one after the built-in
// validating steps, before ResourceQuota, as kube-apiserver orders its plugins.
import { findResource, groupVersion, type ResourceInfo } from "../../apis/registry.ts";
import type { KubeObject } from "../../apis/meta.ts";
import type { UserInfo } from "../auth.ts";
import type { AdmitWrite } from "../admit-write.ts";
import type { Storage } from "../storage.ts";
import type { AdmissionAttributes, AdmissionOperation } from "./attributes.ts";
import { WebhookClient } from "./client.ts";
import { WebhookConfigCache } from "./config-cache.ts";
import { mutate, revalidate, validate, type DispatchDeps, type RequestRecorder } from "./dispatch.ts";
import { objectKey } from "../storage.ts";
import { toScale, type Scale } from "../../apis/autoscaling/scale.ts";
import { invalid } from "../../apis/errors.ts";
import { validateScale } from "../../apis/index.ts";
import type { StatusCause } from "../../apis/meta.ts";

export type { AdmissionAttributes } from "./attributes.ts";
export { deniedError } from "./dispatch.ts";

const NAMESPACES = findResource("", "v1", "namespaces")!;

/** The ValidatingAdmissionPolicy plugin as the webhook plugins see it (admission-policy/). */
export interface PolicyStep {
  /** Whether any policy is bound (else CONNECT streams upgrade without a wait). */
  readonly active: boolean;
  admit(a: AdmissionAttributes, req: WebhookRequest): void;
}

/** One request's facts the webhooks are told besides the object. */
export interface WebhookRequest extends RequestRecorder {
  user: UserInfo | undefined;
  subresource: string | undefined;
  dryRun: boolean;
  fieldManager?: string;
}

export class WebhookAdmission {
  private readonly cache: WebhookConfigCache;
  private readonly deps: DispatchDeps;

  constructor(storage: Storage) {
    this.cache = new WebhookConfigCache(storage);
    const get = (r: ResourceInfo, namespace: string | undefined, name: string) => storage.store.get(objectKey(r, namespace, name))?.object;
    this.deps = {
      client: new WebhookClient(get),
      namespaceLabels: (ns) => {
        const obj = get(NAMESPACES, undefined, ns);
        return obj ? (obj.metadata.labels ?? {}) : undefined;
      },
    };
  }

  /** The MutatingAdmissionWebhook step of a create or update of `r`. */
  mutating(r: ResourceInfo, req: WebhookRequest): AdmitWrite | undefined {
    if (req.subresource === "scale") return this.mutatingScale(r, req);
    if (!sendsOwnObject(r, req.subresource)) return undefined;
    // Without webhooks the step answers at once (no promise): most writes go through here.
    return (obj, old) => (this.cache.mutating.length ? this.mutateObject(r, req, obj, old) : undefined);
  }

  private async mutateObject(r: ResourceInfo, req: WebhookRequest, obj: KubeObject, old: KubeObject | undefined): Promise<void> {
    const hooks = this.cache.mutating;
    const a = this.attributes(r, req, obj, old);
    if (await mutate(hooks, a, obj, this.deps, req)) revalidate(a, obj, old);
  }

  /** The ValidatingAdmissionWebhook step of a create or update of `r`. */
  validating(r: ResourceInfo, req: WebhookRequest): AdmitWrite | undefined {
    if (req.subresource === "scale") {
      return async (obj, old) => {
        if (this.cache.validating.length) await validate(this.cache.validating, this.scaleAttributes(r, req, obj, old), this.deps, req);
      };
    }
    if (!sendsOwnObject(r, req.subresource)) return undefined;
    return (obj, old) => (this.cache.validating.length ? this.validateObject(r, req, obj, old) : undefined);
  }

  private async validateObject(r: ResourceInfo, req: WebhookRequest, obj: KubeObject, old: KubeObject | undefined): Promise<void> {
    await validate(this.cache.validating, this.attributes(r, req, obj, old), this.deps, req);
  }

  /**
   * A write to <object>/scale: the webhooks get autoscaling/v1 Scale objects, as upstream sends
   * them; what a mutating webhook sets in the Scale's spec.replicas goes to the object.
   */
  private mutatingScale(r: ResourceInfo, req: WebhookRequest): AdmitWrite {
    return async (obj, old) => {
      if (!this.cache.mutating.length) return;
      const a = this.scaleAttributes(r, req, obj, old);
      const scale = a.object as KubeObject;
      if (!(await mutate(this.cache.mutating, a, scale, this.deps, req))) return;
      const causes: StatusCause[] = [];
      validateScale(causes, scale as Record<string, unknown>);
      if (causes.length) throw invalid("Scale", obj.metadata.name ?? "", causes, "autoscaling");
      (obj as KubeObject & { spec?: Record<string, unknown> }).spec = { ...(obj as { spec?: object }).spec, replicas: (scale as Scale).spec?.replicas };
      revalidate({ ...a, resource: r, subresource: "" }, obj, old);
    };
  }

  private scaleAttributes(r: ResourceInfo, req: WebhookRequest, obj: KubeObject, old: KubeObject | undefined): AdmissionAttributes {
    return scaleAttributes(r, req, obj, old);
  }

  /**
   * A DELETE of `current`: mutating webhooks are called (a patch has nothing to change), then
   * validating ones; both get the object as oldObject and no object, as upstream sends deletes.
   */
  async admitDelete(r: ResourceInfo, req: WebhookRequest, current: KubeObject, options: Record<string, unknown>, policies?: PolicyStep): Promise<void> {
    const a: AdmissionAttributes = { ...this.attributes(r, req, undefined, current), operation: "DELETE", options };
    if (this.cache.mutating.length) await mutate(this.cache.mutating, a, undefined, this.deps, req);
    // ValidatingAdmissionPolicy sits between the two webhook plugins, as in kube-apiserver.
    policies?.admit(a, req);
    if (this.cache.validating.length) await validate(this.cache.validating, a, this.deps, req);
  }

  /**
   * A CONNECT (pods/exec, attach, portforward): `options` is the request's *Options object, sent
   * as the object. Undefined when no webhook is configured, so streams upgrade without a wait.
   */
  connect(r: ResourceInfo, req: WebhookRequest, namespace: string, name: string, options: Record<string, unknown>, policies?: PolicyStep): Promise<void> | undefined {
    if (!this.cache.mutating.length && !this.cache.validating.length && !policies?.active) return undefined;
    const sub = r.subresources.find((s) => s.name === req.subresource);
    const kind = { group: sub?.group ?? r.group, version: sub?.version ?? r.version, kind: sub?.kind ?? r.kind };
    const a: AdmissionAttributes = { operation: "CONNECT", resource: r, subresource: req.subresource ?? "", kind, namespace, name, object: options, user: req.user, dryRun: false };
    return (async () => {
      if (this.cache.mutating.length) await mutate(this.cache.mutating, a, undefined, this.deps, req);
      policies?.admit(a, req);
      if (this.cache.validating.length) await validate(this.cache.validating, a, this.deps, req);
    })();
  }

  close(): void {
    this.cache.close();
    this.deps.client.close();
  }

  private attributes(r: ResourceInfo, req: WebhookRequest, obj: KubeObject | undefined, old: KubeObject | undefined): AdmissionAttributes {
    return requestAttributes(r, req, obj, old);
  }
}

/** The admission attributes of a create (no `old`) or an update of `r`. */
export function requestAttributes(r: ResourceInfo, req: WebhookRequest, obj: KubeObject | undefined, old: KubeObject | undefined): AdmissionAttributes {
  const operation: AdmissionOperation = old && obj ? "UPDATE" : "CREATE";
  const meta = (obj ?? old)!.metadata;
  const options: Record<string, unknown> = { kind: operation === "CREATE" ? "CreateOptions" : "UpdateOptions", apiVersion: "meta.k8s.io/v1" };
  if (req.dryRun) options.dryRun = ["All"];
  if (req.fieldManager) options.fieldManager = req.fieldManager;
  const [group, version] = splitGroupVersion(groupVersion(r));
  return {
    operation,
    resource: r,
    subresource: req.subresource ?? "",
    kind: { group, version, kind: r.kind },
    namespace: meta.namespace ?? "",
    name: meta.name ?? "",
    object: obj,
    oldObject: old,
    user: req.user,
    dryRun: req.dryRun,
    options,
  };
}

/** A write to <object>/scale as admission sees it: autoscaling/v1 Scale objects. */
export function scaleAttributes(r: ResourceInfo, req: WebhookRequest, obj: KubeObject, old: KubeObject | undefined): AdmissionAttributes {
  const a = requestAttributes(r, req, obj, old);
  return { ...a, kind: { group: "autoscaling", version: "v1", kind: "Scale" }, object: toScale(obj), oldObject: old && toScale(old) };
}

function splitGroupVersion(gv: string): [string, string] {
  const slash = gv.indexOf("/");
  return slash < 0 ? ["", gv] : [gv.slice(0, slash), gv.slice(slash + 1)];
}

/**
 * Writes whose object is the resource's own kind (the main resource, status); scale has a view
 * of its own above. The binding subresource never reaches admission in kubun's registry.
 */
export function sendsOwnObject(r: ResourceInfo, subresource: string | undefined): boolean {
  if (!subresource) return true;
  const sub = r.subresources.find((s) => s.name === subresource);
  return !!sub && sub.kind === r.kind && !sub.group;
}
