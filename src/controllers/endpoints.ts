// The endpoints controller (pkg/controller/endpoint): keeps one Endpoints object per service
// with a selector, listing the pods it selects. Handlers only enqueue service keys; sync(key)
// rebuilds the subsets from the caches and writes only when they differ from what is stored.
// Services without a selector keep the Endpoints their owner writes (the `kubernetes` one).
import type { Endpoints } from "../apis/core/endpoints.ts";
import type { Pod } from "../apis/core/pod.ts";
import type { Service } from "../apis/core/service.ts";
import { type EventHandler, type Lister, objectKey, resourceFor, splitKey, type ControllerContext, type Running, WorkQueue, warnUnlessConflict } from "../client/index.ts";
import { runController } from "./controller-utils.ts";
import { buildSubsets } from "./endpoints-subsets.ts";
import { HEADLESS_LABEL, kubeObjectWriter, serviceHandlers, serviceSelector, type ObjectWriter } from "./endpoints-util.ts";

export interface EndpointsControllerDeps {
  services: Lister<Service>;
  pods: Lister<Pod>;
  endpoints: Lister<Endpoints>;
  writer: ObjectWriter<Endpoints>;
}

/** The Endpoints' labels: the service's, plus the headless marker when it has no cluster IP. */
export function endpointsLabels(svc: Service): Record<string, string> {
  const labels = { ...svc.metadata.labels };
  if (svc.spec?.clusterIP === "None") labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export class EndpointsController {
  readonly queue = new WorkQueue<string>();
  readonly serviceHandler: EventHandler<Service>;
  readonly podHandler: EventHandler<Pod>;

  constructor(private readonly deps: EndpointsControllerDeps) {
    const handlers = serviceHandlers(deps.services, (key) => this.queue.add(key));
    this.serviceHandler = handlers.service;
    this.podHandler = handlers.pod;
  }

  /** Someone deleted the Endpoints of a live service: put them back. */
  readonly endpointsHandler: EventHandler<Endpoints> = {
    onDelete: (ep) => {
      const key = objectKey(ep.metadata);
      if (this.deps.services.getByKey(key)) this.queue.add(key);
    },
  };

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.deps.services.getByKey(key);
    const current = this.deps.endpoints.getByKey(key);
    if (!svc) {
      // The service is gone; its Endpoints go with it (they carry no owner reference).
      if (current) await this.deps.writer.delete(namespace!, name);
      return;
    }
    const selector = serviceSelector(svc);
    if (!selector) return;
    const subsets = buildSubsets(svc, this.deps.pods.list(namespace, { matchLabels: selector }));
    const labels = endpointsLabels(svc);
    if (current && Bun.deepEquals(current.subsets ?? [], subsets) && Bun.deepEquals(current.metadata.labels ?? {}, labels)) return;
    if (!current) {
      await this.deps.writer.create({ apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, labels }, subsets });
      return;
    }
    // The cached resourceVersion rides along: a newer write in between fails with 409 and requeues.
    await this.deps.writer.update({ ...current, metadata: { ...current.metadata, labels }, subsets });
  }
}

export interface EndpointsControllerOptions {
  workers?: number;
}

export function startEndpointsController(ctx: ControllerContext, opts: EndpointsControllerOptions = {}): Running {
  const services = ctx.informers.informerFor<Service>("Service");
  const pods = ctx.informers.informerFor<Pod>("Pod");
  const endpoints = ctx.informers.informerFor<Endpoints>("Endpoints");
  const controller = new EndpointsController({
    services: services.lister,
    pods: pods.lister,
    endpoints: endpoints.lister,
    writer: kubeObjectWriter<Endpoints>(ctx.client, resourceFor("Endpoints")),
  });
  const removers = [
    services.addEventHandler(controller.serviceHandler),
    pods.addEventHandler(controller.podHandler),
    endpoints.addEventHandler(controller.endpointsHandler),
  ];
  return runController(ctx.informers, controller.queue, opts.workers ?? 5, (key) => controller.sync(key), removers, {
    onError: warnUnlessConflict("endpoints"),
  });
}
