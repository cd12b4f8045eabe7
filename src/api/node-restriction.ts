// NodeRestriction admission (after plugin/pkg/admission/noderestriction): the node authorizer
// lets a node write Nodes, but only admission sees the object, so here a node credential is
// held to its own Node — by the URL's name, or the body's when it registers — and kept from
// setting the node-restriction.kubernetes.io/ labels that workloads use to pick trusted nodes.
import { forbidden, type StatusError } from "../apis/errors.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import type { UserInfo } from "./auth.ts";
import { nodeNameOf } from "./node-authorizer.ts";

export const NODE_RESTRICTION_LABEL_PREFIX = "node-restriction.kubernetes.io/";

const isNodes = (r: Pick<ResourceInfo, "group" | "resource">) => r.group === "" && r.resource === "nodes";

function nodeForbidden(name: string, why: string): StatusError {
  const err = forbidden(`nodes ${JSON.stringify(name)} is forbidden: ${why}`);
  err.status.details = { name, group: "", kind: "nodes" };
  return err;
}

/** Labels under the restricted prefix that obj sets or changes relative to old. */
export function modifiedRestrictedLabels(labels: Record<string, string> = {}, oldLabels: Record<string, string> = {}): string[] {
  const keys = new Set([...Object.keys(labels), ...Object.keys(oldLabels)]);
  return [...keys].filter((k) => k.startsWith(NODE_RESTRICTION_LABEL_PREFIX) && labels[k] !== oldLabels[k]).sort();
}

/** Refuses a node's write (update, patch, delete) to a Node other than its own, named in the URL. */
export function admitNodeRequest(user: UserInfo | undefined, r: Pick<ResourceInfo, "group" | "resource">, name: string): void {
  const node = user && nodeNameOf(user);
  if (!node || !isNodes(r) || name === node) return;
  throw nodeForbidden(name, `node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(name)}`);
}

/** The admission check of a node's Node writes, or undefined when the request needs none. */
export function nodeRestriction(user: UserInfo | undefined, r: Pick<ResourceInfo, "group" | "resource">): ((obj: KubeObject, old: KubeObject | undefined) => void) | undefined {
  const node = user && nodeNameOf(user);
  if (!node || !isNodes(r)) return undefined;
  return (obj, old) => {
    const name = obj.metadata.name ?? "";
    if (!old) {
      const set = modifiedRestrictedLabels(obj.metadata.labels);
      if (set.length) throw nodeForbidden(name, `node ${JSON.stringify(node)} is not allowed to set the following labels: ${set.join(", ")}`);
    }
    if (name !== node) throw nodeForbidden(name, `node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(name)}`);
    if (old) {
      const changed = modifiedRestrictedLabels(obj.metadata.labels, old.metadata.labels);
      if (changed.length) throw nodeForbidden(name, `is not allowed to modify labels: ${changed.join(", ")}`);
    }
  };
}
