// RBAC escalation prevention, after kube-apiserver's policy-based RBAC storage
// (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased): a user may
// write a Role or ClusterRole only with rules they already hold (or with the `escalate` verb on
// it), and a RoleBinding or ClusterRoleBinding only to a role whose rules they already hold (or
// with the `bind` verb on that role). Without this, the right to create bindings in one
// namespace is the right to bind cluster-admin. system:masters is exempt, as upstream.
import { forbidden, type StatusError } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import { RBAC_GROUP } from "../apis/rbac/rbac.ts";
import { findResource, type ResourceInfo } from "../apis/registry.ts";
import { GROUP_MASTERS, type UserInfo } from "./auth.ts";
import type { Attributes } from "./authz-attributes.ts";
import type { Authorizer, RuleResolver } from "./authz.ts";
import { compactRules, compactString, goQuotedList, missingRules } from "./rbac-covers.ts";
import type { PolicyRule, RoleRef } from "./rbac-rules.ts";

const ROLES = findResource(RBAC_GROUP, "v1", "roles")!;
const CLUSTER_ROLES = findResource(RBAC_GROUP, "v1", "clusterroles")!;
const ROLE_KINDS = new Set(["roles", "clusterroles"]);
const BINDING_KINDS = new Set(["rolebindings", "clusterrolebindings"]);

/** Everything: what setting an aggregationRule requires, since it can gather any rule. */
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];

export interface EscalationDeps {
  /** The whole authorizer chain: decides `escalate` and `bind`. */
  authorizer: Authorizer;
  /** RBAC's rules for a user (kube's AuthorizationRuleResolver): what the user holds. */
  ruleResolver: RuleResolver;
  /** Reads the role a binding refers to (the registry's get: NotFound when missing). */
  storage: { get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject };
}

const rulesOf = (obj: KubeObject | undefined) => ((obj as { rules?: PolicyRule[] } | undefined)?.rules ?? []) as PolicyRule[];
const hasAggregationRule = (obj: KubeObject | undefined) => (obj as { aggregationRule?: unknown } | undefined)?.aggregationRule != null;

function forbiddenOn(r: ResourceInfo, name: string, why: string): StatusError {
  const err = forbidden(`${r.resource}.${r.group} ${JSON.stringify(name)} is forbidden: ${why}`);
  err.status.details = { name, group: r.group, kind: r.resource };
  return err;
}

/** The object without what the garbage collector may change: such an update needs no check (IsOnlyMutatingGCFields). */
function withoutGCFields(obj: KubeObject): KubeObject {
  const { ownerReferences: _o, finalizers: _f, managedFields: _m, resourceVersion: _rv, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

const onlyGCFieldsChange = (obj: KubeObject, old: KubeObject | undefined) => old !== undefined && Bun.deepEquals(withoutGCFields(obj), withoutGCFields(old));

/** The admission check of a write to an RBAC role or binding, or undefined when the request needs none. */
export function rbacEscalation(user: UserInfo | undefined, r: ResourceInfo, deps: EscalationDeps | undefined): ((obj: KubeObject, old: KubeObject | undefined) => Promise<void>) | undefined {
  if (!user || !deps || r.group !== RBAC_GROUP || user.groups.includes(GROUP_MASTERS)) return undefined;
  if (ROLE_KINDS.has(r.resource)) return (obj, old) => admitRole(user, r, deps, obj, old);
  if (BINDING_KINDS.has(r.resource)) return (obj, old) => admitBinding(user, r, deps, obj, old);
  return undefined;
}

async function allowed(deps: EscalationDeps, user: UserInfo, verb: string, resource: string, namespace: string, name: string, apiGroup = RBAC_GROUP): Promise<boolean> {
  const a: Attributes = { user, verb, resourceRequest: true, path: "", apiGroup, apiVersion: "*", resource, subresource: "", namespace, name };
  return (await deps.authorizer.authorize(a)).allowed;
}

/** ConfirmNoEscalation: refuses unless the user's own rules in `namespace` cover `rules`. */
function confirmNoEscalation(deps: EscalationDeps, user: UserInfo, namespace: string, rules: PolicyRule[]): string | undefined {
  const held = deps.ruleResolver.rulesFor(user, namespace);
  const owner: PolicyRule[] = [
    ...held.resourceRules.map((x) => ({ verbs: x.verbs, apiGroups: x.apiGroups, resources: x.resources, resourceNames: x.resourceNames })),
    ...held.nonResourceRules.map((x) => ({ verbs: x.verbs, nonResourceURLs: x.nonResourceURLs })),
  ];
  const missing = missingRules(owner, rules);
  if (!missing.length) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join("\n")}`;
  if (held.evaluationError) msg += `; resolution errors: [${held.evaluationError}]`;
  return msg;
}

async function admitRole(user: UserInfo, r: ResourceInfo, deps: EscalationDeps, obj: KubeObject, old: KubeObject | undefined): Promise<void> {
  if (onlyGCFieldsChange(obj, old)) return;
  const name = obj.metadata.name ?? "";
  const namespace = obj.metadata.namespace ?? "";
  if (await allowed(deps, user, "escalate", r.resource, namespace, name)) return;
  const why = confirmNoEscalation(deps, user, namespace, rulesOf(obj));
  if (why) throw forbiddenOn(r, name, why);
  // An aggregationRule gathers rules from any ClusterRole, now and later: only cluster-admin may set or change one.
  if (r.resource === "clusterroles" && (hasAggregationRule(obj) || hasAggregationRule(old)) && confirmNoEscalation(deps, user, "", FULL_AUTHORITY)) {
    throw forbiddenOn(r, name, "must have cluster-admin privileges to use the aggregationRule");
  }
}

async function admitBinding(user: UserInfo, r: ResourceInfo, deps: EscalationDeps, obj: KubeObject, old: KubeObject | undefined): Promise<void> {
  if (onlyGCFieldsChange(obj, old)) return;
  const name = obj.metadata.name ?? "";
  const namespace = obj.metadata.namespace ?? "";
  const ref = ((obj as { roleRef?: RoleRef }).roleRef ?? {}) as RoleRef;
  const roleResource = ref.kind === "ClusterRole" ? CLUSTER_ROLES : ROLES;
  // `bind` is checked where the binding is made: its namespace, or the cluster for a ClusterRoleBinding.
  if (await allowed(deps, user, "bind", roleResource.resource, namespace, ref.name ?? "", ref.apiGroup ?? "")) return;
  // GetRoleReferenceRules: the role must exist (a NotFound otherwise), and its rules must be held.
  const role = deps.storage.get(roleResource, ref.kind === "ClusterRole" ? undefined : namespace, ref.name ?? "");
  const why = confirmNoEscalation(deps, user, namespace, rulesOf(role));
  if (why) throw forbiddenOn(r, name, why);
}
