// Empties a Terminating namespace (the namespace controller's NamespacedResourcesDeleter): every
// namespaced resource is deleted with Background propagation, collection at a time where the
// resource allows it, then counted again. What remains (pods a node is still stopping, objects
// held by finalizers) makes the namespace wait.
import type { KubeObject } from "../apis/meta.ts";
import { allResources, type ResourceInfo } from "../apis/registry.ts";
import { resourcePath, type KubeClient } from "../client/index.ts";
import { isNotFound } from "../apis/errors.ts";

// Workload controllers go before the pods they would otherwise replace (creates in a
// Terminating namespace are refused anyway, but this saves the round trips).
const ORDER = ["Deployment", "ReplicaSet", "Pod"];
const rank = (r: ResourceInfo) => {
  const i = ORDER.indexOf(r.kind);
  return i < 0 ? ORDER.length : i;
};

/** Built-in and custom namespaced resources (a CRD's served versions share one store: one of them is enough). */
export const namespacedResources = (): ResourceInfo[] => {
  const seen = new Set<string>();
  return allResources()
    .filter((r) => r.namespaced && r.verbs.includes("list") && r.verbs.includes("delete"))
    .filter((r) => !seen.has(`${r.group}/${r.resource}`) && !!seen.add(`${r.group}/${r.resource}`))
    .sort((a, b) => rank(a) - rank(b));
};

const BACKGROUND = { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" };

/** Deletes everything in `namespace`; returns how many objects are still there afterwards, by resource. */
export async function deleteNamespaceContent(client: KubeClient, namespace: string): Promise<Map<string, number>> {
  const remaining = new Map<string, number>();
  for (const r of namespacedResources()) {
    if (r.verbs.includes("deletecollection")) {
      await client.request("DELETE", resourcePath(r, namespace), { body: BACKGROUND });
    } else {
      const { items } = await client.list<KubeObject>(r, { namespace });
      for (const item of items) {
        if (item.metadata.deletionTimestamp) continue;
        try {
          await client.delete(r, namespace, item.metadata.name!, { propagationPolicy: "Background" });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    const left = (await client.list<KubeObject>(r, { namespace, limit: 1 })).items.length;
    if (left) remaining.set(r.resource, left);
  }
  return remaining;
}
