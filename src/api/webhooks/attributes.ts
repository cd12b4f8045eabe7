// What an admission webhook is told about a request (admission.Attributes in kube-apiserver):
// the operation, the resource and subresource, the object and its old version, the user, the
// dry-run flag and the options of the verb. The dispatchers match webhooks against these and
// build the AdmissionReview from them.
import type { KubeObject } from "../../apis/meta.ts";
import type { ResourceInfo } from "../../apis/registry.ts";
import type { UserInfo } from "../auth.ts";
import { forbidden, type StatusError } from "../../apis/errors.ts";

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface AdmissionAttributes {
  operation: AdmissionOperation;
  resource: ResourceInfo;
  /** "" for the main resource. */
  subresource: string;
  /** The kind of the object sent: the resource's, or the subresource's own (Scale, PodExecOptions). */
  kind: { group: string; version: string; kind: string };
  namespace: string;
  name: string;
  object?: KubeObject | Record<string, unknown>;
  oldObject?: KubeObject;
  user: UserInfo | undefined;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions / the CONNECT options, as meta.k8s.io/v1 sends them. */
  options?: Record<string, unknown>;
}

/**
 * admission.NewForbidden: `<resource>.<group> "<name>" is forbidden: <message>`, with the
 * group, resource and name in details, as every admission plugin's refusal reads.
 */
export function admissionForbidden(a: AdmissionAttributes, message: string): StatusError {
  const resource = a.resource.group ? `${a.resource.resource}.${a.resource.group}` : a.resource.resource;
  const e = forbidden(`${resource} ${JSON.stringify(a.name)} is forbidden: ${message}`);
  e.status.details = { name: a.name, group: a.resource.group, kind: a.resource.resource };
  return e;
}
