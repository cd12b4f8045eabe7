// Node IPAM: gives every node without one a pod CIDR (spec.podCIDR/podCIDRs), a /24 of the
// cluster CIDR by default, which its agent's CNI bridge and the other nodes' routes use.
import type { Node } from "../apis/index.ts";
import { resourceFor, type ControllerContext, type Running, WorkQueue, warnUnlessConflict } from "../client/index.ts";
import { runController, type Controller } from "./controller-utils.ts";
import { CidrAllocator } from "./node-cidr.ts";
import { isNotFound } from "../apis/errors.ts";

export interface NodeIpamOptions {
  /** Default 10.42.0.0/16, as k3s. */
  clusterCIDR?: string;
  /** Default 24. */
  nodeCIDRMaskSize?: number;
}

const nodeResource = resourceFor("Node");

/** Its handlers added to the shared informers; runController (or a test) runs its sync. */
export function newNodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions = {}): Controller {
  const clusterCIDR = opts.clusterCIDR ?? "10.42.0.0/16";
  const cidrs = new CidrAllocator(clusterCIDR, opts.nodeCIDRMaskSize ?? 24);
  const queue = new WorkQueue<string>();
  const recorder = ctx.recorder("node-ipam-controller");
  const nodes = ctx.informers.informerFor<Node>("Node");

  const removers = [
    nodes.addEventHandler({
      onAdd: (node) => {
        // Every CIDR already given out is taken before any new one is handed out (see sync).
        if (node.spec?.podCIDR) cidrs.occupy(node.spec.podCIDR, node.metadata.name!);
        else queue.add(node.metadata.name!);
      },
      onUpdate: (_, node) => {
        if (node.spec?.podCIDR) cidrs.occupy(node.spec.podCIDR, node.metadata.name!);
        else queue.add(node.metadata.name!);
      },
      onDelete: (node) => cidrs.release(node.metadata.name!),
    }),
  ];

  async function sync(name: string): Promise<void> {
    const node = nodes.lister.get(undefined, name);
    if (!node || node.spec?.podCIDR) return;
    const cidr = cidrs.allocate(name);
    if (!cidr) {
      recorder.event(node, "Warning", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable`);
      throw new Error(`no pod CIDR left in ${clusterCIDR} for node ${name}`);
    }
    try {
      await ctx.client.patch(nodeResource, undefined, name, { metadata: { resourceVersion: node.metadata.resourceVersion }, spec: { podCIDR: cidr, podCIDRs: [cidr] } }, "merge");
    } catch (err) {
      // Keep the reservation for the retry unless the node is gone.
      if (isNotFound(err)) cidrs.release(name);
      throw err;
    }
  }

  // 409s are optimistic concurrency doing its job: the key is retried without a warning.
  return { queue, sync, removers, onError: warnUnlessConflict("node ipam") };
}

export function startNodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions = {}): Running {
  const c = newNodeIpamController(ctx, opts);
  // Allocating only once the cache holds every node keeps two nodes from getting one CIDR; one
  // worker, so two nodes never race for the same free CIDR.
  return runController(ctx.informers, c.queue, 1, c.sync, c.removers, { onError: c.onError });
}
