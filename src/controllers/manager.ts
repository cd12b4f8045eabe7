// The controller manager (kube-controller-manager's role): starts every controller on one
// shared ControllerContext, so they all read the same informers, and stops them together.
// `kubun server` runs it in-process; `kubun controller-manager` runs it alone (command.ts).
import type { KubeClient } from "../client/index.ts";
import { SharedInformerFactory } from "../client/index.ts";
import type { ControllerContext, Running } from "./context.ts";
import { startClusterRoleAggregationController } from "./clusterrole-aggregation.ts";
import { startDeploymentController } from "./deployment.ts";
import { startEndpointsController } from "./endpoints.ts";
import { startEndpointSliceController } from "./endpointslice.ts";
import { createRecorderFactory, startEventTTLCleanup, type RecorderOptions } from "./events.ts";
import { startReplicaSetController } from "./replicaset.ts";
import { startResourceQuotaController } from "./resourcequota.ts";
import { startGarbageCollector } from "./garbage-collector.ts";
import { startNamespaceController } from "./namespace.ts";
import { startServiceAccountsController } from "./serviceaccounts.ts";
import { startNodeIpamController } from "./node-ipam.ts";
import { startNodeLifecycleController } from "./node-lifecycle.ts";

export interface ControllerManagerOptions {
  /** Workers per controller (kube's --concurrent-*-syncs; default 5). */
  workers?: number;
  nodeMonitorGracePeriodSeconds?: number;
  podEvictionTimeoutSeconds?: number;
  /** How often the node lifecycle controller checks every node. */
  nodeMonitorPeriodMs?: number;
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
  /** Events older than this are deleted (default 3600, as kube-apiserver's --event-ttl). */
  eventTTLSeconds?: number;
  /** How often expired events are swept (default a minute). */
  eventTTLIntervalMs?: number;
}

export function startControllerManager(ctx: ControllerContext, opts: ControllerManagerOptions = {}): Running {
  const workers = opts.workers ?? 5;
  const running: Running[] = [
    startReplicaSetController(ctx, { workers }),
    startDeploymentController(ctx, { workers }),
    startEndpointsController(ctx, { workers }),
    startEndpointSliceController(ctx, { workers }),
    startEventTTLCleanup(ctx.client, { ttlSeconds: opts.eventTTLSeconds, intervalMs: opts.eventTTLIntervalMs, now: ctx.now }),
    startGarbageCollector(ctx),
    startNamespaceController(ctx),
    startServiceAccountsController(ctx),
    startClusterRoleAggregationController(ctx),
    startNodeLifecycleController(ctx, {
      nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds,
      podEvictionTimeoutSeconds: opts.podEvictionTimeoutSeconds,
      monitorPeriodMs: opts.nodeMonitorPeriodMs,
    }),
    startNodeIpamController(ctx, { clusterCIDR: opts.clusterCIDR, nodeCIDRMaskSize: opts.nodeCIDRMaskSize }),
    startResourceQuotaController(ctx),
  ];
  // Informers asked for above start now; starting an already started factory changes nothing.
  ctx.informers.start();
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= Promise.all(running.map((r) => r.stop())).then(() => undefined);
      return stopping;
    },
  };
}

/** A ControllerContext over one client: its own informer factory and event recorder. */
export function createControllerContext(
  client: KubeClient,
  opts: { now?: () => Date; events?: RecorderOptions } = {},
): ControllerContext & { flushEvents(): Promise<void> } {
  const now = opts.now ?? (() => new Date());
  const recorder = createRecorderFactory(client, now, opts.events);
  return { client, informers: new SharedInformerFactory(client), recorder, now, flushEvents: () => recorder.flush() };
}
