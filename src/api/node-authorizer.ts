// The node authorizer (after plugin/pkg/auth/authorizer/node): what a node's credential
// (user system:node:<name>, group system:nodes) may do. It may read the cluster's nodes, pods,
// services, namespaces and network policies; it may read a secret, config map or service account only when a pod bound to
// it refers to one; and it may write Nodes (NodeRestriction admission keeps it to its own),
// its own Lease, the status of pods bound to it, events, and its own usage report. Kube decides on a graph of pods and their references; here the
// store is small and local, so the node's pods in the namespace are simply looked at.
import type { KubeObject } from "../apis/meta.ts";
import { findResource, storeKey } from "../apis/registry.ts";
import { localPathVolumeNode } from "../apis/core/persistentvolume.ts";
import { NODE_USAGE_RESOURCE } from "../apis/metrics/metrics.ts";
import type { Store } from "../store/index.ts";
import { GROUP_NODES, NODE_USER_PREFIX, type UserInfo } from "./auth.ts";
import type { Attributes } from "./authz-attributes.ts";
import { ALLOW, NO_OPINION, type Authorizer, type Decision, type RuleResolver, type SubjectRules } from "./authz.ts";

const PODS = findResource("", "v1", "pods")!;
const PVS = findResource("", "v1", "persistentvolumes")!;
const READ = new Set(["get", "list", "watch"]);
const WRITE_OWN = new Set(["get", "update", "patch"]);
const NODE_LEASE_NAMESPACE = "kube-node-lease";

/** The node a user is the credential of, or undefined for any other user. */
export function nodeNameOf(user: { name: string; groups: string[] }): string | undefined {
  if (!user.groups.includes(GROUP_NODES) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length) || undefined;
}

type Refs = { secrets: Set<string>; configmaps: Set<string>; serviceaccounts: Set<string>; persistentvolumeclaims: Set<string> };

/** The objects a pod needs from the API to run: volumes, env, image pull secrets, its service account. */
export function podReferences(pod: KubeObject): Refs {
  const refs: Refs = { secrets: new Set(), configmaps: new Set(), serviceaccounts: new Set(), persistentvolumeclaims: new Set() };
  const spec = (pod.spec ?? {}) as Record<string, any>;
  const add = (set: Set<string>, name: unknown) => typeof name === "string" && name && set.add(name);
  add(refs.serviceaccounts, spec.serviceAccountName || "default");
  for (const s of spec.imagePullSecrets ?? []) add(refs.secrets, s?.name);
  for (const v of spec.volumes ?? []) {
    add(refs.secrets, v?.secret?.secretName);
    add(refs.configmaps, v?.configMap?.name);
    add(refs.persistentvolumeclaims, v?.persistentVolumeClaim?.claimName);
    for (const src of v?.projected?.sources ?? []) {
      add(refs.secrets, src?.secret?.name);
      add(refs.configmaps, src?.configMap?.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      add(refs.secrets, e?.valueFrom?.secretKeyRef?.name);
      add(refs.configmaps, e?.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c?.envFrom ?? []) {
      add(refs.secrets, e?.secretRef?.name);
      add(refs.configmaps, e?.configMapRef?.name);
    }
  }
  return refs;
}

export class NodeAuthorizer implements Authorizer, RuleResolver {
  constructor(private readonly store: Store) {}

  /** A node's permissions follow its pods, so they can't be listed: say so, as kube does. */
  rulesFor(user: UserInfo): SubjectRules {
    const none: SubjectRules = { resourceRules: [], nonResourceRules: [], incomplete: false };
    if (!nodeNameOf(user)) return none;
    return { ...none, incomplete: true, evaluationError: "node authorizer does not support user rule resolution" };
  }

  authorize(a: Attributes): Decision {
    const node = nodeNameOf(a.user);
    if (!node || !a.resourceRequest) return NO_OPINION;
    const deny = (why: string): Decision => ({ allowed: false, reason: why });
    const { verb, apiGroup, resource, subresource, namespace, name } = a;
    const core = apiGroup === "";

    if (core && resource === "nodes") {
      // Which Node a node may write is NodeRestriction's to say (node-restriction.ts): when it
      // registers, the name is in the body, which only admission sees.
      if (!subresource && [...READ, "create", "update", "patch", "delete"].includes(verb)) return ALLOW;
      if (subresource === "status" && WRITE_OWN.has(verb)) return ALLOW;
      return NO_OPINION;
    }
    if (core && resource === "pods") {
      if (!subresource && READ.has(verb)) return ALLOW;
      const bound = name ? this.podNode(namespace, name) === node : false;
      if ((subresource === "status" && WRITE_OWN.has(verb)) || (!subresource && verb === "delete")) {
        return bound ? ALLOW : deny(`can only modify pods bound to node ${JSON.stringify(node)}`);
      }
      return NO_OPINION;
    }
    if (core && ["services", "endpoints"].includes(resource) && !subresource && READ.has(verb)) return ALLOW;
    if (core && resource === "persistentvolumes" && !subresource) {
      // A node reads volumes to mount them, and watches them to remove the released local-path
      // volumes it holds (its agent owns their directories); it may delete only those.
      if (READ.has(verb)) return ALLOW;
      if (verb !== "delete" || !name) return NO_OPINION;
      const pv = this.store.get(storeKey(PVS, undefined, name))?.object;
      return pv && localPathVolumeNode(pv) === node ? ALLOW : deny(`can only delete the released local-path volumes of node ${JSON.stringify(node)}`);
    }
    if (apiGroup === "discovery.k8s.io" && resource === "endpointslices" && READ.has(verb)) return ALLOW;
    // The agent enforces NetworkPolicies for its pods (agent/netpol/), which takes every policy,
    // namespace and pod of the cluster. k3s grants its agents' embedded policy controller the
    // same reads (ClusterRole system:k3s-controller: namespaces, pods, networkpolicies); kubun's
    // agent has only its node credential, so the node authorizer grants them to nodes.
    if (core && resource === "namespaces" && !subresource && READ.has(verb)) return ALLOW;
    if (apiGroup === "networking.k8s.io" && resource === "networkpolicies" && !subresource && READ.has(verb)) return ALLOW;
    if (core && ["secrets", "configmaps", "serviceaccounts", "persistentvolumeclaims"].includes(resource)) {
      const token = resource === "serviceaccounts" && subresource === "token" && verb === "create";
      if (!(token || (!subresource && verb === "get")) || !name) return NO_OPINION;
      const refs = this.podsOn(namespace, node).map(podReferences);
      const wanted = resource as keyof Refs;
      if (refs.some((r) => r[wanted].has(name))) return ALLOW;
      return deny(`no relationship found between node ${JSON.stringify(node)} and this object`);
    }
    if (apiGroup === "coordination.k8s.io" && resource === "leases" && namespace === NODE_LEASE_NAMESPACE) {
      if (verb === "create" && !name) return ALLOW;
      if ([...WRITE_OWN, "delete"].includes(verb)) return name === node ? ALLOW : deny(`can only access lease ${JSON.stringify(node)}`);
      return NO_OPINION;
    }
    if (apiGroup === "kubun.io" && resource === NODE_USAGE_RESOURCE && !subresource && verb === "update") {
      // Resource usage for metrics.k8s.io: a node reports only itself (and, checked when the
      // report is read, only pods bound to it: src/api/metrics/routes.ts).
      return name === node ? ALLOW : deny(`can only report the usage of node ${JSON.stringify(node)}`);
    }
    if ((core || apiGroup === "events.k8s.io") && resource === "events" && ["create", "update", "patch"].includes(verb)) return ALLOW;
    return NO_OPINION;
  }

  private podNode(namespace: string, name: string): string | undefined {
    const pod = this.store.get(storeKey(PODS, namespace, name))?.object;
    return (pod?.spec as { nodeName?: string } | undefined)?.nodeName;
  }

  private podsOn(namespace: string, node: string): KubeObject[] {
    return this.store
      .list(storeKey(PODS, namespace, ""))
      .items.map((e) => e.object)
      .filter((p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === node);
  }
}
