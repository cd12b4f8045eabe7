// Node IPAM: gives every node without one a pod CIDR (spec.podCIDR/podCIDRs), a /24 of the
// cluster CIDR by default, which its agent's CNI bridge and the other nodes' routes use.
// It owns spec.podCIDR as kube's range allocator does, but an agent's --pod-cidr may set one
// first: every CIDR a node holds is marked used, whoever wrote it, and the API server refuses a
// Node write whose podCIDR another node holds (src/api/node-cidr-guard.ts). A CIDR this
// controller chose from a cache that had not yet seen another node take it is refused there
// (422 on spec.podCIDR); it is marked taken and the node gets the next free one. Two stored
// nodes holding one CIDR (written before that check existed, or by two API servers at once)
// are reported as a CIDRNotAvailable event on the node, as kube's allocator does.
import type { Node } from "../apis/index.ts";
import { resourceFor, type ControllerContext, type Running, WorkQueue, warnUnlessConflict } from "../client/index.ts";
import { runController, type Controller } from "./controller-utils.ts";
import { CidrAllocator } from "./node-cidr.ts";
import { isInvalid, isNotFound } from "../apis/errors.ts";

export interface NodeIpamOptions {
  /** Default 10.42.0.0/16, as k3s. */
  clusterCIDR?: string;
  /** Default 24. */
  nodeCIDRMaskSize?: number;
}

const nodeResource = resourceFor("Node");
/** Node writes in flight at once (kube's range allocator's cidrUpdateWorkers). */
const CIDR_UPDATE_WORKERS = 30;
/** The holder name of a CIDR the API server said another node holds (no Node is named so). */
const TAKEN_ELSEWHERE = "\0taken:";

/** The API server's 422 for a podCIDR another node holds (node-cidr-guard.ts). */
const takenByAnotherNode = (err: unknown) =>
  isInvalid(err) && ((err as { status?: { details?: { causes?: { field?: string }[] } } }).status?.details?.causes ?? []).some((c) => c.field === "spec.podCIDR");

/** Its handlers added to the shared informers; runController (or a test) runs its sync. */
export function newNodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions = {}): Controller {
  const clusterCIDR = opts.clusterCIDR ?? "10.42.0.0/16";
  const cidrs = new CidrAllocator(clusterCIDR, opts.nodeCIDRMaskSize ?? 24);
  const queue = new WorkQueue<string>();
  const recorder = ctx.recorder("node-ipam-controller");
  const nodes = ctx.informers.informerFor<Node>("Node");

  /**
   * Marks a stored node's CIDR as used. A reservation of this controller for a node whose Node
   * has no CIDR yet (its patch not yet written, or refused) gives way: the node that stored it
   * keeps it, the other is queued for another. Held by another stored node: reported (once per
   * change of the node's CIDR), since that is two nodes with one range.
   */
  const hold = (node: Node, report: boolean) => {
    const name = node.metadata.name!;
    const cidr = node.spec!.podCIDR!;
    if (cidrs.occupy(cidr, name)) return;
    const stored: string[] = [];
    for (const holder of cidrs.holders(cidr, name)) {
      const other = nodes.lister.get(undefined, holder);
      if (other?.spec?.podCIDR) {
        stored.push(holder);
        continue;
      }
      cidrs.release(holder);
      if (other) queue.add(holder);
    }
    if (stored.length === 0 && cidrs.occupy(cidr, name)) return;
    if (report && stored.length) recorder.event(node, "Warning", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable (its podCIDR ${cidr} overlaps node ${stored.join(", ")}'s)`);
  };

  const removers = [
    nodes.addEventHandler({
      onAdd: (node) => {
        // Every CIDR already given out is taken before any new one is handed out (see sync).
        if (node.spec?.podCIDR) hold(node, true);
        else queue.add(node.metadata.name!);
      },
      onUpdate: (old, node) => {
        if (node.spec?.podCIDR) hold(node, node.spec.podCIDR !== old.spec?.podCIDR);
        else queue.add(node.metadata.name!);
      },
      onDelete: (node) => cidrs.release(node.metadata.name!),
    }),
  ];

  async function sync(name: string): Promise<void> {
    const node = nodes.lister.get(undefined, name);
    if (!node || node.spec?.podCIDR) return;
    for (;;) {
      const cidr = cidrs.allocate(name);
      if (!cidr) {
        recorder.event(node, "Warning", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable`);
        throw new Error(`no pod CIDR left in ${clusterCIDR} for node ${name}`);
      }
      try {
        await ctx.client.patch(nodeResource, undefined, name, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { podCIDR: cidr, podCIDRs: [cidr] } }, "merge");
        return;
      } catch (err) {
        if (takenByAnotherNode(err)) {
          // Another node holds it (an agent's --pod-cidr this cache has not seen yet): it stays
          // taken (until that node shows up here and holds it) and this node gets the next one.
          cidrs.release(name);
          cidrs.occupy(cidr, `${TAKEN_ELSEWHERE}${cidr}`);
          recorder.event(node, "Warning", "CIDRNotAvailable", `Node ${name}: pod CIDR ${cidr} is held by another node; allocating another`);
          continue;
        }
        // Keep the reservation for the retry unless the node is gone.
        if (isNotFound(err)) cidrs.release(name);
        throw err;
      }
    }
  }

  // 409s are optimistic concurrency doing its job: the key is retried without a warning.
  return { queue, sync, removers, onError: warnUnlessConflict("node ipam") };
}

export function startNodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions = {}): Running {
  const c = newNodeIpamController(ctx, opts);
  // Allocating only once the cache holds every node keeps two nodes from getting one CIDR. A sync
  // reserves its CIDR before its first await, so workers writing nodes at once never pick the
  // same one: 30 of them, as kube's range allocator (cidrUpdateWorkers), so thousands of nodes
  // joining at once are not written one round trip at a time.
  return runController(ctx.informers, c.queue, CIDR_UPDATE_WORKERS, c.sync, c.removers, { onError: c.onError });
}
