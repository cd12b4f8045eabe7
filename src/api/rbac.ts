// The RBAC authorizer (rbac.authorization.k8s.io/v1): ClusterRoleBindings grant everywhere,
// RoleBindings in their namespace, each through the rules of the Role or ClusterRole it refers
// to. Roles and bindings are read from the store and indexed once per change: the store
// publishes a write to watchers before acknowledging it, so a binding is in force as soon as
// its create returns. Decisions are remembered by who asked what (user, groups and every
// attribute a rule can look at) until the next change of a role or binding: the scheduler, the
// controllers and the kubelets ask the same few questions thousands of times.
import type { KubeObject } from "../apis/meta.ts";
import type { Store, WatchHandle } from "../store/index.ts";
import type { Attributes } from "./authz-attributes.ts";
import type { UserInfo } from "./auth.ts";
import { NO_OPINION, type Authorizer, type Decision, type RuleResolver, type SubjectRules } from "./authz.ts";
import { describeSubject, ruleAllows, subjectMatches, type PolicyRule, type RoleRef, type Subject } from "./rbac-rules.ts";

import { RBAC_GROUP } from "../apis/rbac/rbac.ts";

export { RBAC_GROUP };
const PREFIX = `/${RBAC_GROUP}/`;

interface Binding {
  kind: "ClusterRoleBinding" | "RoleBinding";
  name: string;
  namespace: string;
  subjects: Subject[];
  roleRef: RoleRef;
}

interface PolicyIndex {
  clusterRoles: Map<string, PolicyRule[]>;
  roles: Map<string, PolicyRule[]>; // "ns/name"
  clusterRoleBindings: Binding[];
  roleBindings: Map<string, Binding[]>; // by namespace
}

const arrayOf = <T>(v: unknown): T[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === "object") as T[]) : []);

function toBinding(kind: Binding["kind"], obj: KubeObject): Binding {
  return {
    kind,
    name: obj.metadata.name ?? "",
    namespace: obj.metadata.namespace ?? "",
    subjects: arrayOf<Subject>(obj.subjects),
    roleRef: (obj.roleRef ?? {}) as RoleRef,
  };
}

/** Decisions remembered at most; past it they are forgotten all at once. */
const MAX_DECISIONS = 10_000;

/** Everything a decision depends on: the user's name and groups (subjects), the request's attributes (rules; the path only for non-resource URLs). */
const decisionKey = (a: Attributes) =>
  [a.user.name, a.user.groups.join("\u0001"), a.verb, a.resourceRequest ? "r" : `n${a.path}`, a.apiGroup, a.resource, a.subresource, a.namespace, a.name].join("\u0000");

export class RBACAuthorizer implements Authorizer, RuleResolver {
  private index: PolicyIndex | undefined;
  private readonly decisions = new Map<string, Decision>();
  private readonly watch: WatchHandle;

  constructor(private readonly store: Store) {
    this.watch = store.watch(PREFIX, store.revision, () => {
      this.index = undefined;
      this.decisions.clear();
    });
  }

  close(): void {
    this.watch.close();
  }

  authorize(a: Attributes): Decision {
    const key = decisionKey(a);
    const known = this.decisions.get(key);
    if (known) return known;
    const decision = this.decide(a);
    if (this.decisions.size >= MAX_DECISIONS) this.decisions.clear();
    this.decisions.set(key, decision);
    return decision;
  }

  private decide(a: Attributes): Decision {
    const index = this.policy();
    const check = (bindings: Binding[]): Decision | undefined => {
      for (const b of bindings) {
        const subject = b.subjects.find((s) => subjectMatches(s, a.user, b.namespace));
        if (!subject) continue;
        const rules = this.rulesOf(index, b);
        if (rules.some((r) => ruleAllows(a, r))) {
          const role = `${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)}`;
          const where = b.kind === "RoleBinding" ? `RoleBinding ${JSON.stringify(`${b.name}/${b.namespace}`)}` : `ClusterRoleBinding ${JSON.stringify(b.name)}`;
          return { allowed: true, reason: `RBAC: allowed by ${where} of ${role} to ${describeSubject(subject, b.namespace)}` };
        }
      }
      return undefined;
    };
    const cluster = check(index.clusterRoleBindings);
    if (cluster) return cluster;
    // Non-resource URLs are cluster-wide: only ClusterRoleBindings grant them.
    if (a.resourceRequest && a.namespace) return check(index.roleBindings.get(a.namespace) ?? []) ?? NO_OPINION;
    return NO_OPINION;
  }

  /** The rules of every role bound to the user cluster-wide, or in the namespace (RBAC's RulesFor). */
  rulesFor(user: UserInfo, namespace: string): SubjectRules {
    const index = this.policy();
    const out: SubjectRules = { resourceRules: [], nonResourceRules: [], incomplete: false };
    const visit = (bindings: Binding[]) => {
      for (const b of bindings) {
        if (!b.subjects.some((s) => subjectMatches(s, user, b.namespace))) continue;
        for (const rule of this.rulesOf(index, b)) {
          const verbs = rule.verbs ?? [];
          if (rule.resources?.length) {
            out.resourceRules.push({ verbs, apiGroups: rule.apiGroups, resources: rule.resources, resourceNames: rule.resourceNames });
          }
          if (rule.nonResourceURLs?.length) out.nonResourceRules.push({ verbs, nonResourceURLs: rule.nonResourceURLs });
        }
      }
    };
    visit(index.clusterRoleBindings);
    if (namespace) visit(index.roleBindings.get(namespace) ?? []);
    return out;
  }

  private rulesOf(index: PolicyIndex, b: Binding): PolicyRule[] {
    const name = b.roleRef.name ?? "";
    if (b.roleRef.kind === "ClusterRole") return index.clusterRoles.get(name) ?? [];
    if (b.roleRef.kind === "Role" && b.kind === "RoleBinding") return index.roles.get(`${b.namespace}/${name}`) ?? [];
    return [];
  }

  private policy(): PolicyIndex {
    if (this.index) return this.index;
    const list = (resource: string) => this.store.list(`${PREFIX}${resource}/`).items.map((e) => e.object);
    const index: PolicyIndex = { clusterRoles: new Map(), roles: new Map(), clusterRoleBindings: [], roleBindings: new Map() };
    for (const cr of list("clusterroles")) index.clusterRoles.set(cr.metadata.name ?? "", arrayOf<PolicyRule>(cr.rules));
    for (const r of list("roles")) index.roles.set(`${r.metadata.namespace}/${r.metadata.name}`, arrayOf<PolicyRule>(r.rules));
    for (const b of list("clusterrolebindings")) index.clusterRoleBindings.push(toBinding("ClusterRoleBinding", b));
    for (const obj of list("rolebindings")) {
      const b = toBinding("RoleBinding", obj);
      const inNs = index.roleBindings.get(b.namespace) ?? [];
      inNs.push(b);
      index.roleBindings.set(b.namespace, inNs);
    }
    this.index = index;
    return index;
  }
}
