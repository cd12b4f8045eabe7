// The endpoint slice controller (pkg/controller/endpointslice): keeps the EndpointSlices of
// every service with a selector. Handlers enqueue service keys (a pod change: the services
// selecting it; a change to one of our slices: its service, so edits by others are undone);
// sync(key) compares the desired slices with the cached ones and writes only the difference.
// A deleted service's slices go through the garbage collector (they carry its owner reference).
import type { Pod } from "../apis/core/pod.ts";
import type { Service } from "../apis/core/service.ts";
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL, type EndpointSlice } from "../apis/discovery/endpointslice.ts";
import { type EventHandler, type Lister, objectKey, resourceFor, splitKey, type ControllerContext, type Running, WorkQueue, warnUnlessConflict } from "../client/index.ts";
import { runController } from "./controller-utils.ts";
import { ENDPOINTSLICE_CONTROLLER, desiredSlices, sameSlice } from "./endpointslice-build.ts";
import { kubeObjectWriter, serviceHandlers, serviceSelector, type ObjectWriter } from "./endpoints-util.ts";

export interface EndpointSliceControllerDeps {
  services: Lister<Service>;
  pods: Lister<Pod>;
  slices: Lister<EndpointSlice>;
  writer: ObjectWriter<EndpointSlice>;
}

const managedServiceKey = (slice: EndpointSlice): string | undefined => {
  const labels = slice.metadata.labels ?? {};
  const service = labels[SERVICE_NAME_LABEL];
  if (!service || labels[MANAGED_BY_LABEL] !== ENDPOINTSLICE_CONTROLLER) return undefined;
  return objectKey({ namespace: slice.metadata.namespace, name: service });
};

export class EndpointSliceController {
  readonly queue = new WorkQueue<string>();
  readonly serviceHandler: EventHandler<Service>;
  readonly podHandler: EventHandler<Pod>;

  constructor(private readonly deps: EndpointSliceControllerDeps) {
    const handlers = serviceHandlers(deps.services, (key) => this.queue.add(key));
    this.serviceHandler = handlers.service;
    this.podHandler = handlers.pod;
  }

  readonly sliceHandler: EventHandler<EndpointSlice> = {
    onUpdate: (_old, slice) => this.sliceChanged(slice),
    onDelete: (slice) => this.sliceChanged(slice),
  };

  private sliceChanged(slice: EndpointSlice): void {
    const key = managedServiceKey(slice);
    if (key && this.deps.services.getByKey(key)) this.queue.add(key);
  }

  async sync(key: string): Promise<void> {
    const { namespace } = splitKey(key);
    const svc = this.deps.services.getByKey(key);
    if (!svc || svc.metadata.deletionTimestamp || !serviceSelector(svc)) return;
    const pods = this.deps.pods.list(namespace, { matchLabels: serviceSelector(svc) });
    const desired = desiredSlices(svc, pods);
    const existing = this.deps.slices.list(namespace, (s) => managedServiceKey(s) === key);
    const byName = new Map(existing.map((s) => [s.metadata.name!, s]));
    const writes: Promise<void>[] = [];
    for (const slice of desired) {
      const current = byName.get(slice.metadata.name!);
      byName.delete(slice.metadata.name!);
      if (!current) writes.push(this.deps.writer.create(slice));
      else if (!sameSlice(current, slice)) {
        // The cached resourceVersion rides along: a newer write in between fails with 409 and requeues.
        writes.push(this.deps.writer.update({ ...slice, metadata: { ...current.metadata, labels: slice.metadata.labels, ownerReferences: slice.metadata.ownerReferences } }));
      }
    }
    // Slices for port sets no pod has any more, or left by an earlier service of the same name.
    for (const stale of byName.values()) writes.push(this.deps.writer.delete(namespace!, stale.metadata.name!));
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }
}

export interface EndpointSliceControllerOptions {
  workers?: number;
}

export function startEndpointSliceController(ctx: ControllerContext, opts: EndpointSliceControllerOptions = {}): Running {
  const services = ctx.informers.informerFor<Service>("Service");
  const pods = ctx.informers.informerFor<Pod>("Pod");
  const slices = ctx.informers.informerFor<EndpointSlice>("EndpointSlice");
  const controller = new EndpointSliceController({
    services: services.lister,
    pods: pods.lister,
    slices: slices.lister,
    writer: kubeObjectWriter<EndpointSlice>(ctx.client, resourceFor("EndpointSlice")),
  });
  const removers = [
    services.addEventHandler(controller.serviceHandler),
    pods.addEventHandler(controller.podHandler),
    slices.addEventHandler(controller.sliceHandler),
  ];
  return runController(ctx.informers, controller.queue, opts.workers ?? 5, (key) => controller.sync(key), removers, {
    onError: warnUnlessConflict("endpointslice"),
  });
}
