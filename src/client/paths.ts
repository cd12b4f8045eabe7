// REST paths exactly as Kubernetes lays them out, and resources looked up by kind: the
// client's only knowledge of URLs.
import { groupVersion, RESOURCES, type ResourceInfo } from "../apis/registry.ts";

const byKind = new Map(RESOURCES.map((r) => [r.kind, r]));

/** The served resource of a kind ("Pod" → pods), for callers that think in kinds. */
export function resourceFor(kind: string): ResourceInfo {
  const r = byKind.get(kind);
  if (!r) throw new Error(`kubun serves no resource of kind ${kind}`);
  return r;
}

/** "/api/v1" for the core group, "/apis/apps/v1" for the others. */
export function groupVersionPath(r: Pick<ResourceInfo, "group" | "version">): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

/**
 * The path of a resource's collection, one object, or one object's subresource:
 * /api/v1/namespaces/{ns}/pods/{name}/status, /apis/apps/v1/deployments, /api/v1/nodes/{name}.
 * A namespace given for a cluster-scoped resource is ignored; none for a namespaced one means
 * "in every namespace" (collections only).
 */
export function resourcePath(r: ResourceInfo, namespace?: string, name?: string, subresource?: string): string {
  let path = groupVersionPath(r);
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  else if (r.namespaced && name !== undefined) throw new Error(`${r.resource} "${name}": a namespace is required`);
  path += `/${r.resource}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) {
    if (name === undefined) throw new Error(`${r.resource}/${subresource}: an object name is required`);
    path += `/${subresource}`;
  }
  return path;
}

/** The apiVersion objects of the resource carry ("v1", "apps/v1"). */
export const apiVersionOf = (r: ResourceInfo): string => groupVersion(r);

/** client-go's MetaNamespaceKeyFunc: "ns/name", or just "name" for cluster-scoped objects. */
export function objectKey(meta: { namespace?: string; name?: string }): string {
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ""}` : (meta.name ?? "");
}

/** The inverse of objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
