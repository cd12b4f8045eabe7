// The controller manager (kube-controller-manager's role): starts every controller on one
// shared ControllerContext, so they all read the same informers, and stops them together.
// `kubun server` runs it in-process; `kubun controller-manager` runs it alone (command.ts).
import type { ControllerContext, Running } from "../client/index.ts";
import { startClusterRoleAggregationController } from "./clusterrole-aggregation.ts";
import { startDeploymentController } from "./deployment.ts";
import { startEndpointsController } from "./endpoints.ts";
import { startEndpointSliceController } from "./endpointslice.ts";
import { startReplicaSetController } from "./replicaset.ts";
import { startJobController } from "./job.ts";
import { startCronJobController } from "./cronjob.ts";
import { startDaemonSetController } from "./daemonset.ts";
import { startTTLAfterFinishedController } from "./ttl-after-finished.ts";
import { startResourceQuotaController } from "./resourcequota.ts";
import { startGarbageCollector } from "./garbage-collector.ts";
import { startNamespaceController } from "./namespace.ts";
import { startServiceAccountsController } from "./serviceaccounts.ts";
import { startNodeIpamController } from "./node-ipam.ts";
import { startNodeLifecycleController } from "./node-lifecycle.ts";
import { startPersistentVolumeBinder } from "./persistentvolume-binder.ts";
import { startVolumeProtectionControllers } from "./volume-protection.ts";
import { startStatefulSetController } from "./statefulset.ts";
import { startDisruptionController } from "./disruption.ts";
import { startHorizontalPodAutoscalerController } from "./horizontal.ts";

export interface ControllerManagerOptions {
  /** Workers per controller (kube's --concurrent-*-syncs; default 5). */
  workers?: number;
  nodeMonitorGracePeriodSeconds?: number;
  podEvictionTimeoutSeconds?: number;
  /** How often the node lifecycle controller checks every node. */
  nodeMonitorPeriodMs?: number;
  /** How long a node must be missing before pods bound to it are deleted (default 40 s, as kube's PodGC). */
  orphanQuarantineSeconds?: number;
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
  /** The job controller's back-off after a failed pod (default 10 s, doubling to 6 min); tests shorten it. */
  jobBackoffBaseMs?: number;
  /** --horizontal-pod-autoscaler-sync-period (default 15 s). */
  hpaSyncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min); tests shorten it. */
  hpaDownscaleStabilizationMs?: number;
}

export function startControllerManager(ctx: ControllerContext, opts: ControllerManagerOptions = {}): Running {
  const workers = opts.workers ?? 5;
  const running: Running[] = [
    startReplicaSetController(ctx, { workers }),
    startDeploymentController(ctx, { workers }),
    startJobController(ctx, { workers, backoffBaseMs: opts.jobBackoffBaseMs }),
    startTTLAfterFinishedController(ctx),
    startCronJobController(ctx, { workers }),
    startDaemonSetController(ctx, { workers }),
    startEndpointsController(ctx, { workers }),
    startEndpointSliceController(ctx, { workers }),
    startGarbageCollector(ctx),
    startNamespaceController(ctx),
    startServiceAccountsController(ctx),
    startClusterRoleAggregationController(ctx),
    startNodeLifecycleController(ctx, {
      nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds,
      podEvictionTimeoutSeconds: opts.podEvictionTimeoutSeconds,
      monitorPeriodMs: opts.nodeMonitorPeriodMs,
      orphanQuarantineSeconds: opts.orphanQuarantineSeconds,
    }),
    startNodeIpamController(ctx, { clusterCIDR: opts.clusterCIDR, nodeCIDRMaskSize: opts.nodeCIDRMaskSize }),
    startPersistentVolumeBinder(ctx),
    startVolumeProtectionControllers(ctx),
    startStatefulSetController(ctx, { workers }),
    startResourceQuotaController(ctx),
    startDisruptionController(ctx),
    startHorizontalPodAutoscalerController(ctx, { workers, syncPeriodMs: opts.hpaSyncPeriodMs, downscaleStabilizationMs: opts.hpaDownscaleStabilizationMs }),
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

// Where it lived before src/client became the home of what every API client shares.
export { createControllerContext } from "../client/index.ts";
