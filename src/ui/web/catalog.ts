// What the server serves, found through discovery (/api/v1, /apis and each group's preferred
// version), grouped into the dashboard's sections. Kinds the server doesn't serve don't appear;
// kinds the sections don't name (custom resources, say) are listed under "Other".
import type { Api } from "./api.ts";

export interface ResourceType {
  group: string;
  version: string;
  /** "v1" or "apps/v1": the apiVersion of the kind. */
  apiVersion: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  /** Subresources served for it ("scale", "log", "exec"...). */
  subresources: string[];
}

export const SECTIONS: [string, string[]][] = [
  ["Workloads", ["deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs", "pods", "horizontalpodautoscalers"]],
  ["Network", ["services", "endpoints", "endpointslices", "networkpolicies", "ingresses"]],
  ["Config", ["configmaps", "secrets", "resourcequotas", "limitranges", "poddisruptionbudgets"]],
  ["Storage", ["persistentvolumeclaims", "persistentvolumes", "storageclasses"]],
  ["Cluster", ["nodes", "namespaces", "events", "serviceaccounts", "roles", "rolebindings", "clusterroles", "clusterrolebindings", "priorityclasses", "customresourcedefinitions"]],
];

export const gvPath = (t: { group: string; version: string }) => (t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`);

/** The collection URL of `t`, in `namespace` when it is namespaced and one is given. */
export function collectionPath(t: ResourceType, namespace?: string): string {
  return t.namespaced && namespace ? `${gvPath(t)}/namespaces/${encodeURIComponent(namespace)}/${t.resource}` : `${gvPath(t)}/${t.resource}`;
}

export function objectPath(t: ResourceType, namespace: string | undefined, name: string): string {
  return `${collectionPath(t, t.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
}

export class Catalog {
  constructor(readonly types: ResourceType[]) {}

  static async load(api: Api): Promise<Catalog> {
    const groupVersions: { group: string; version: string }[] = [{ group: "", version: "v1" }];
    const groups = await api.json<{ groups: { name: string; preferredVersion: { version: string } }[] }>("/apis");
    for (const g of groups.groups) groupVersions.push({ group: g.name, version: g.preferredVersion.version });
    const lists = await Promise.all(
      groupVersions.map(async (gv) => {
        try {
          const list = await api.json<{ resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[] }>(gvPath(gv));
          const subs = new Map<string, string[]>();
          for (const r of list.resources) {
            const [base, sub] = r.name.split("/");
            if (sub) subs.set(base!, [...(subs.get(base!) ?? []), sub]);
          }
          return list.resources
            .filter((r) => !r.name.includes("/") && r.verbs.includes("list"))
            .map((r) => ({ ...gv, apiVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs, subresources: subs.get(r.name) ?? [] }));
        } catch {
          return [];
        }
      }),
    );
    return new Catalog(lists.flat());
  }

  find(resource: string, group?: string): ResourceType | undefined {
    return this.types.find((t) => t.resource === resource && (group === undefined || t.group === group));
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.types.find((t) => t.apiVersion === apiVersion && t.kind === kind) ?? this.types.find((t) => t.kind === kind);
  }

  /** The sections with the kinds the server serves, and "Other" for the rest. */
  sections(): [string, ResourceType[]][] {
    const named = new Set(SECTIONS.flatMap(([, rs]) => rs));
    const out: [string, ResourceType[]][] = SECTIONS.map(([title, rs]) => [title, rs.map((r) => this.find(r)).filter((t): t is ResourceType => !!t)]);
    const other = this.types.filter((t) => !named.has(t.resource) && !["bindings", "componentstatuses", "podtemplates", "replicationcontrollers", "controllerrevisions", "leases", "csinodes", "csidrivers", "volumeattachments", "csistoragecapacities", "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "flowschemas", "prioritylevelconfigurations", "runtimeclasses", "ingressclasses", "certificatesigningrequests", "tokenreviews", "selfsubjectreviews"].includes(t.resource));
    if (other.length) out.push(["Other", other]);
    return out.filter(([, ts]) => ts.length > 0);
  }
}
