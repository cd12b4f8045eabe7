// The node's heartbeats: the Lease in kube-node-lease renewed every few seconds (what the node
// lifecycle controller watches) and the Node status posted less often.
import { isAlreadyExists, isNotFound } from "../../src/apis/errors.ts";
import type { Lease, Node, NodeStatus } from "../../src/apis/index.ts";
import { resourceFor, type KubeClient } from "../../src/client/index.ts";
import { formatMicroTime } from "../../src/apis/time.ts";

const LEASES = resourceFor("Lease");
const NAMESPACES = resourceFor("Namespace");
const NODES = resourceFor("Node");
export const NODE_LEASE_NAMESPACE = "kube-node-lease";

/** Creates or renews the node's Lease. */
export async function renewLease(client: KubeClient, node: Node, durationSeconds: number, now: Date): Promise<void> {
  const name = node.metadata.name!;
  const spec = { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: formatMicroTime(now) };
  try {
    await client.patch(LEASES, NODE_LEASE_NAMESPACE, name, { spec }, "merge");
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const lease: Lease = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: node.metadata.uid ? [{ apiVersion: "v1", kind: "Node", name, uid: node.metadata.uid }] : undefined,
    },
    spec: { ...spec, acquireTime: formatMicroTime(now) },
  };
  try {
    await client.create(LEASES, NODE_LEASE_NAMESPACE, lease);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    // The namespace is missing on a fresh cluster: make it, then the lease.
    await client.create(NAMESPACES, undefined, { metadata: { name: NODE_LEASE_NAMESPACE } }).catch((e) => {
      if (!isAlreadyExists(e)) throw e;
    });
    await client.create(LEASES, NODE_LEASE_NAMESPACE, lease);
  }
}

export async function postNodeStatus(client: KubeClient, name: string, status: NodeStatus): Promise<Node> {
  return client.patch<Node>(NODES, undefined, name, { status }, "merge", { subresource: "status" });
}

/** Runs `fn` every `periodMs` until the returned stop is called; failures go to `onError`. */
export function every(periodMs: number, fn: () => Promise<void>, onError: (err: unknown) => void): () => Promise<void> {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = fn()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, periodMs);
      });
  };
  timer = setTimeout(tick, periodMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
