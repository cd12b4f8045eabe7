// The horizontal pod autoscaler controller (pkg/controller/podautoscaler/horizontal.go): every
// sync period, for each HPA, reads the target's `scale` subresource, the target's pods and their
// metrics.k8s.io usage, computes the replicas each Resource metric asks for (the replica
// calculator, horizontal-replicas.ts), stabilizes and rate-limits the result (behavior,
// horizontal-behavior.ts), writes the new count through `scale`, and reports status, the
// AbleToScale / ScalingActive / ScalingLimited conditions and events as upstream does. Handlers
// only enqueue; an HPA is synced again a sync period after each sync, as kube's fixed-interval
// rate limiter does, so a controller's own status write does not trigger an extra sync.
import type { HorizontalPodAutoscaler, MetricStatus } from "../apis/autoscaling/hpa.ts";
import type { Scale } from "../apis/autoscaling/scale.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { PodMetrics as PodMetricsObject } from "../apis/metrics/metrics.ts";
import { formatQuantity, quantityMilliValue } from "../apis/quantity.ts";
import { groupVersion, RESOURCES, type ResourceInfo } from "../apis/registry.ts";
import { formatTime } from "../apis/time.ts";
import { type ControllerContext, type EventHandler, type EventRecorder, type KubeClient, type Lister, objectKey, resourceFor, resourcePath, type Running, WorkQueue } from "../client/index.ts";
import { runController } from "./controller-utils.ts";
import { type ConditionUpdate, HorizontalState } from "./horizontal-behavior.ts";
import { type PodMetrics, resourceReplicas } from "./horizontal-replicas.ts";

type Status = NonNullable<HorizontalPodAutoscaler["status"]>;
type Ref = NonNullable<HorizontalPodAutoscaler["spec"]>["scaleTargetRef"];

/** The target's scale subresource (deployments, replicasets, statefulsets). */
export interface ScaleClient {
  get(namespace: string, ref: Ref): Promise<Scale>;
  update(namespace: string, ref: Ref, scale: Scale, replicas: number): Promise<void>;
}

/** The target's pods and their usage of one resource (milli-units per pod). */
export interface MetricsSource {
  pods(namespace: string, selector: string): Promise<Pod[]>;
  resourceMetrics(namespace: string, selector: string, resource: string): Promise<PodMetrics>;
}

export interface HorizontalStatusWriter {
  write(hpa: HorizontalPodAutoscaler, status: Status): Promise<void>;
}

export interface HorizontalControllerDeps {
  hpas: Lister<HorizontalPodAutoscaler>;
  scales: ScaleClient;
  metrics: MetricsSource;
  status: HorizontalStatusWriter;
  recorder: EventRecorder;
  now: () => Date;
  /** --horizontal-pod-autoscaler-sync-period (default 15 s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (default 5 min). */
  downscaleStabilizationMs?: number;
}

export const DEFAULT_SYNC_PERIOD_MS = 15_000;
export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 300_000;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** setCondition: a condition keeps its lastTransitionTime while its status does not change. */
function setCondition(conditions: NonNullable<Status["conditions"]>, c: ConditionUpdate, now: Date): void {
  const i = conditions.findIndex((x) => x.type === c.type);
  const old = conditions[i];
  const next = { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : formatTime(now) };
  if (i >= 0) conditions[i] = next;
  else conditions.push(next);
}

export class HorizontalController {
  readonly queue = new WorkQueue<string>();
  readonly state: HorizontalState;
  private readonly syncPeriodMs: number;

  constructor(private readonly deps: HorizontalControllerDeps) {
    this.state = new HorizontalState(deps.downscaleStabilizationMs ?? DEFAULT_DOWNSCALE_STABILIZATION_MS);
    this.syncPeriodMs = deps.syncPeriodMs ?? DEFAULT_SYNC_PERIOD_MS;
  }

  readonly handler: EventHandler<HorizontalPodAutoscaler> = {
    onAdd: (h) => this.queue.add(objectKey(h.metadata)),
    // Only a spec change: status writes (the controller's own) wait for the next period.
    onUpdate: (old, h) => {
      if (old.metadata.generation !== h.metadata.generation) this.queue.add(objectKey(h.metadata));
    },
    onDelete: (h) => this.state.forget(objectKey(h.metadata)),
  };

  async sync(key: string): Promise<void> {
    const hpa = this.deps.hpas.getByKey(key);
    if (!hpa?.spec) {
      this.state.forget(key);
      return;
    }
    try {
      await this.reconcile(key, hpa);
    } finally {
      this.queue.addAfter(key, this.syncPeriodMs);
    }
  }

  private async reconcile(key: string, hpa: HorizontalPodAutoscaler): Promise<void> {
    const { deps } = this;
    const spec = hpa.spec!;
    const namespace = hpa.metadata.namespace!;
    const now = deps.now();
    const nowMs = now.getTime();
    const conditions = structuredClone(hpa.status?.conditions ?? []);
    const set = (c: ConditionUpdate) => setCondition(conditions, c, now);
    const base: Status = { ...structuredClone(hpa.status ?? {}), conditions };
    const write = (status: Status) => this.writeIfChanged(hpa, status);

    let scale: Scale;
    try {
      scale = await deps.scales.get(namespace, spec.scaleTargetRef);
    } catch (err) {
      set({ type: "AbleToScale", status: "False", reason: "FailedGetScale", message: `the HPA controller was unable to get the target's current scale: ${message(err)}` });
      deps.recorder.event(hpa, "Warning", "FailedGetScale", message(err));
      await write(base);
      return;
    }
    set({ type: "AbleToScale", status: "True", reason: "SucceededGetScale", message: "the HPA controller was able to get the target's current scale" });
    const current = scale.spec?.replicas ?? 0;
    this.state.recordInitial(key, current, nowMs);
    const min = spec.minReplicas ?? 1;
    let desired = 0;
    let rescale = true;
    let reason = "";
    let metricStatuses = base.currentMetrics ?? undefined;

    if (current === 0 && min !== 0) {
      rescale = false;
      set({ type: "ScalingActive", status: "False", reason: "ScalingDisabled", message: "scaling is disabled since the replica count of the target is zero" });
    } else if (current > spec.maxReplicas) {
      reason = "Current number of replicas above Spec.MaxReplicas";
      desired = spec.maxReplicas;
    } else if (current < min) {
      reason = "Current number of replicas below Spec.MinReplicas";
      desired = min;
    } else {
      const r = await this.replicasForMetrics(hpa, scale, nowMs, set);
      metricStatuses = r.statuses;
      if (r.replicas === -1) {
        await write({ ...base, currentReplicas: current, currentMetrics: r.statuses });
        deps.recorder.event(hpa, "Warning", "FailedComputeMetricsReplicas", r.error!);
        return;
      }
      let rescaleMetric = "";
      if (r.replicas > desired) {
        desired = r.replicas;
        rescaleMetric = r.metric;
      }
      if (desired > current) reason = `${rescaleMetric} above target`;
      if (desired < current) reason = "All metrics below target";
      const n = spec.behavior
        ? this.state.normalizeWithBehavior(key, hpa, current, desired, min, nowMs)
        : this.state.normalize(key, hpa, current, desired, min, nowMs);
      n.conditions.forEach(set);
      desired = n.replicas;
      rescale = desired !== current;
    }

    if (rescale) {
      try {
        await deps.scales.update(namespace, spec.scaleTargetRef, scale, desired);
      } catch (err) {
        deps.recorder.event(hpa, "Warning", "FailedRescale", `New size: ${desired}; reason: ${reason}; error: ${message(err)}`);
        set({ type: "AbleToScale", status: "False", reason: "FailedUpdateScale", message: `the HPA controller was unable to update the target scale: ${message(err)}` });
        await write({ ...base, currentReplicas: current, currentMetrics: metricStatuses });
        return;
      }
      set({ type: "AbleToScale", status: "True", reason: "SucceededRescale", message: `the HPA controller was able to update the target scale to ${desired}` });
      deps.recorder.event(hpa, "Normal", "SuccessfulRescale", `New size: ${desired}; reason: ${reason}`);
      this.state.storeScaleEvent(key, hpa, current, desired, nowMs);
    } else desired = current;

    await write({
      ...base,
      observedGeneration: hpa.metadata.generation,
      currentReplicas: current,
      desiredReplicas: desired,
      currentMetrics: metricStatuses,
      ...(rescale ? { lastScaleTime: formatTime(now) } : {}),
    });
  }

  /** computeReplicasForMetrics: the largest proposal of the metrics; -1 when they all fail (or some fail on a scale-down). */
  private async replicasForMetrics(hpa: HorizontalPodAutoscaler, scale: Scale, nowMs: number, set: (c: ConditionUpdate) => void) {
    const namespace = hpa.metadata.namespace!;
    const specs = hpa.spec!.metrics ?? [];
    const selector = scale.status?.selector;
    const statuses: MetricStatus[] = specs.map(() => ({ type: "" }) as unknown as MetricStatus);
    if (!selector) {
      set({ type: "ScalingActive", status: "False", reason: "InvalidSelector", message: "the HPA target's scale is missing a selector" });
      this.deps.recorder.event(hpa, "Warning", "SelectorRequired", "selector is required");
      return { replicas: -1, metric: "", statuses, error: "selector is required" };
    }
    const specReplicas = scale.spec?.replicas ?? 0;
    let replicas = 0;
    let metric = "";
    let invalid = 0;
    let firstError: string | undefined;
    let firstCondition: ConditionUpdate | undefined;
    let pods: Pod[] | undefined;
    for (const [i, m] of specs.entries()) {
      const res = m.resource;
      try {
        if (m.type !== "Resource" || !res) throw new Error(`metric type ${m.type} is not supported`);
        pods ??= await this.deps.metrics.pods(namespace, selector);
        const usage = await this.deps.metrics.resourceMetrics(namespace, selector, res.name);
        const util = res.target.averageUtilization;
        const avg = res.target.averageValue !== undefined ? quantityMilliValue(res.target.averageValue) : undefined;
        const r = resourceReplicas({ currentReplicas: specReplicas, pods, metrics: usage, resource: res.name, targetUtilization: avg === undefined ? util : undefined, targetAverage: avg, nowMs });
        const averageValue = formatQuantity(`${r.rawAverage}m`);
        statuses[i] = {
          type: "Resource",
          resource: { name: res.name, current: avg === undefined ? { averageValue, averageUtilization: r.utilization } : { averageValue } },
        };
        const name = avg === undefined ? `${res.name} resource utilization (percentage of request)` : `${res.name} resource`;
        if (replicas === 0 || r.replicas > replicas) {
          replicas = r.replicas;
          metric = name;
        }
      } catch (err) {
        const why = message(err);
        this.deps.recorder.event(hpa, "Warning", "FailedGetResourceMetric", why);
        if (invalid === 0) {
          firstError = why;
          firstCondition = { type: "ScalingActive", status: "False", reason: "FailedGetResourceMetric", message: `the HPA was unable to compute the replica count: ${why}` };
        }
        invalid++;
      }
    }
    if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas)) {
      set(firstCondition!);
      return { replicas: -1, metric: "", statuses, error: `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError}` };
    }
    set({ type: "ScalingActive", status: "True", reason: "ValidMetricFound", message: `the HPA was able to successfully calculate a replica count from ${metric}` });
    return { replicas, metric, statuses };
  }

  private async writeIfChanged(hpa: HorizontalPodAutoscaler, status: Status): Promise<void> {
    if (Bun.deepEquals(hpa.status ?? {}, status)) return;
    await this.deps.status.write(hpa, status);
  }
}

/** The resource with a scale subresource that apiVersion/kind names. */
export function scaleTargetResource(ref: Ref): ResourceInfo {
  const r = RESOURCES.find((x) => groupVersion(x) === ref.apiVersion && x.kind === ref.kind && x.subresources.some((s) => s.name === "scale"));
  if (!r) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion ?? ""}" with a scale subresource`);
  return r;
}

const windowMs = (w: string) => (w.endsWith("s") ? Number.parseFloat(w) * 1000 : 0);

/** Per pod, the sum of its containers' usage of a resource; a pod with a container lacking it has no metric. */
export function podMetricsOf(items: PodMetricsObject[], resource: string): PodMetrics {
  const out: PodMetrics = new Map();
  for (const m of items) {
    let value = 0;
    let complete = m.containers.length > 0;
    for (const c of m.containers) {
      const u = c.usage[resource as keyof typeof c.usage];
      if (u === undefined) complete = false;
      else value += quantityMilliValue(u);
    }
    if (complete) out.set(m.metadata.name!, { value, timestampMs: Date.parse(m.timestamp), windowMs: windowMs(m.window) });
  }
  return out;
}

const PODS = resourceFor("Pod");
const HPAS = resourceFor("HorizontalPodAutoscaler");

export function kubeScaleClient(client: KubeClient): ScaleClient {
  return {
    get: (namespace, ref) => client.get<Scale>(scaleTargetResource(ref), namespace, ref.name, { subresource: "scale" }),
    async update(namespace, ref, scale, replicas) {
      const body = { apiVersion: "autoscaling/v1", kind: "Scale", metadata: scale.metadata, spec: { replicas } };
      await client.request("PUT", resourcePath(scaleTargetResource(ref), namespace, ref.name, "scale"), { body });
    },
  };
}

/** Reads pods and metrics.k8s.io through the API, as kube-controller-manager's metrics client does. */
export function kubeMetricsSource(client: KubeClient): MetricsSource {
  return {
    pods: async (namespace, labelSelector) => (await client.list<Pod>(PODS, { namespace, labelSelector })).items,
    async resourceMetrics(namespace, labelSelector, resource) {
      const list = await client.request<{ items: PodMetricsObject[] }>("GET", `/apis/metrics.k8s.io/v1beta1/namespaces/${namespace}/pods`, { query: { labelSelector } });
      return podMetricsOf(list.items, resource);
    },
  };
}

export function kubeHorizontalStatusWriter(client: KubeClient): HorizontalStatusWriter {
  return {
    async write(hpa, status) {
      const body = { ...status, currentMetrics: status.currentMetrics ?? null, conditions: status.conditions ?? null };
      await client.patch(HPAS, hpa.metadata.namespace, hpa.metadata.name!, { status: body }, "merge", { subresource: "status" });
    },
  };
}

export interface HorizontalControllerOptions {
  workers?: number;
  syncPeriodMs?: number;
  downscaleStabilizationMs?: number;
}

export function startHorizontalPodAutoscalerController(ctx: ControllerContext, opts: HorizontalControllerOptions = {}): Running {
  const informer = ctx.informers.informerFor<HorizontalPodAutoscaler>("HorizontalPodAutoscaler");
  const controller = new HorizontalController({
    hpas: informer.lister,
    scales: kubeScaleClient(ctx.client),
    metrics: kubeMetricsSource(ctx.client),
    status: kubeHorizontalStatusWriter(ctx.client),
    recorder: ctx.recorder("horizontal-pod-autoscaler"),
    now: ctx.now,
    syncPeriodMs: opts.syncPeriodMs,
    downscaleStabilizationMs: opts.downscaleStabilizationMs,
  });
  const removers = [informer.addEventHandler(controller.handler)];
  return runController(ctx.informers, controller.queue, opts.workers ?? 5, (key) => controller.sync(key), removers);
}
