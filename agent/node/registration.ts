// Node registration: the agent creates its Node (or, restarting, refreshes its status) and
// learns its pod CIDR. The control plane's node IPAM owns spec.podCIDR, as kube-controller-
// manager's allocator does in a cluster; the agent's --pod-cidr (kubelet's flag for standalone
// use) is only a fallback, written when the Node has none yet. The API server refuses it when
// another node already holds an overlapping CIDR (src/api/node-cidr-guard.ts): the agent says
// so and waits for the IPAM instead, so two nodes never share one range.
import { isAlreadyExists, isConflict, isInvalid } from "../../src/apis/errors.ts";
import type { Node } from "../../src/apis/index.ts";
import { resourceFor, type KubeClient } from "../../src/client/index.ts";
import { postNodeStatus } from "./heartbeat.ts";

const NODES = resourceFor("Node");

/** Creates the Node or refreshes its status; then sets `podCIDR` on it if it has none and no other node holds it. */
export async function registerNode(client: KubeClient, node: Node, podCIDR: string | undefined, log: (msg: string) => void): Promise<Node> {
  const name = node.metadata.name!;
  let stored: Node;
  try {
    stored = await client.create<Node>(NODES, undefined, node);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    stored = await postNodeStatus(client, name, node.status!);
  }
  if (!podCIDR) return stored;
  if (stored.spec?.podCIDR) {
    if (stored.spec.podCIDR !== podCIDR) log(`node ${name} already has podCIDR ${stored.spec.podCIDR}: --pod-cidr ${podCIDR} is not used`);
    return stored;
  }
  // Only on the Node as just read: if the IPAM controller allocated a podCIDR meanwhile, the
  // precondition fails and that allocation stands.
  const patch = { metadata: { resourceVersion: stored.metadata.resourceVersion }, spec: { podCIDR, podCIDRs: [podCIDR] } };
  try {
    return await client.patch<Node>(NODES, undefined, name, patch, "merge");
  } catch (err) {
    if (isInvalid(err)) {
      log(`--pod-cidr ${podCIDR} refused by the API server (${(err as Error).message}); waiting for the control plane's node IPAM to allocate one`);
    } else if (!isConflict(err)) throw err;
    return await client.get<Node>(NODES, undefined, name);
  }
}

/** Polls the Node until it has a spec.podCIDR (the node IPAM controller sets it). */
export async function waitForPodCIDR(client: KubeClient, name: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const node = await client.get<Node>(NODES, undefined, name);
    if (node.spec?.podCIDR) return node.spec.podCIDR;
    if (Date.now() > deadline) throw new Error(`node ${name} got no spec.podCIDR within ${timeoutMs} ms: run the node IPAM controller (kubun server does), or pass a --pod-cidr no other node holds`);
    await Bun.sleep(500);
  }
}
