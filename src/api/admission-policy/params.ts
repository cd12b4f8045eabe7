// The params a binding gives its policy, after kube-apiserver's generic.CollectParams: the
// policy's paramKind names a served kind (a ConfigMap, a custom resource ...), the binding's
// paramRef one object of it by name or several by label selector, in the paramRef's namespace
// or, when it names none, the request's. The policy is evaluated once per param. No param found
// is an error under parameterNotFoundAction Deny and no evaluation (admit) under Allow; errors
// here are configuration errors, which the policy's failurePolicy turns into a refusal or not.
// Params are read from the server's store at the time of the request.
import { resourcesIn, type ResourceInfo } from "../../apis/registry.ts";
import { selectorMatches } from "../../apis/selector.ts";
import type { KubeObject } from "../../apis/meta.ts";
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "../../apis/admissionregistration/policy.ts";
import { objectKey, type Storage } from "../storage.ts";
import type { AdmissionAttributes } from "../webhooks/attributes.ts";

export type Params = { objects: (KubeObject | null)[] } | { error: string };

export class ParamSource {
  constructor(private readonly storage: Storage) {}

  collect(policy: ValidatingAdmissionPolicy, binding: ValidatingAdmissionPolicyBinding, a: AdmissionAttributes): Params {
    const kind = policy.spec?.paramKind;
    if (!kind) return { objects: [null] };
    const ref = binding.spec?.paramRef;
    const gvk = `${kind.apiVersion}, Kind=${kind.kind}`;
    if (!ref) return { error: `paramKind kind \`${gvk}\` is set but paramRef is empty` };
    const r = resourceOf(kind.apiVersion ?? "", kind.kind ?? "");
    if (!r) return { error: `failed to find resource referenced by paramKind: '${gvk}'` };
    let namespace: string | undefined;
    if (r.namespaced) {
      namespace = ref.namespace || a.namespace;
      if (!namespace) return { error: "cannot use namespaced paramRef in policy binding that matches cluster-scoped resources" };
    }
    let objects: KubeObject[];
    if (ref.name) {
      const obj = this.storage.store.get(objectKey(r, namespace, ref.name))?.object;
      objects = obj ? [obj] : [];
    } else {
      objects = this.storage.list(r, namespace).items.map((e) => e.object).filter((o) => selectorMatches(ref.selector ?? {}, o.metadata.labels ?? {}));
    }
    if (objects.length) return { objects };
    if (ref.parameterNotFoundAction === "Allow") return { objects: [] };
    return { error: "no params found for policy binding with `Deny` parameterNotFoundAction" };
  }
}

function resourceOf(apiVersion: string, kind: string): ResourceInfo | undefined {
  const slash = apiVersion.indexOf("/");
  const [group, version] = slash < 0 ? ["", apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  return resourcesIn(group, version).find((r) => r.kind === kind);
}
