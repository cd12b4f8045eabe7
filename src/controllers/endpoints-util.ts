// What the endpoints and endpoint slice controllers share (pkg/controller/util/endpoint): which
// services select a pod, which pods belong in a service's endpoints, how a service port's
// targetPort resolves on a pod, and when a pod change can matter to them at all.
import type { Pod } from "../apis/core/pod.ts";
import { isPodReady } from "../apis/core/pod.ts";
import type { Service, ServicePort } from "../apis/core/service.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import { mapSelectorMatches } from "../apis/selector.ts";
import type { EventHandler, KubeClient, Lister } from "../client/index.ts";
import { objectKey } from "../client/index.ts";
import { isNotFound } from "../apis/errors.ts";

/** Marks the endpoints of a service without a cluster IP. */
export const HEADLESS_LABEL = "service.kubernetes.io/headless";

/**
 * The selector the controllers act on. Services without one (or with an empty one) have
 * endpoints their owner writes by hand, like the `kubernetes` service: left alone.
 */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0 || svc.spec?.type === "ExternalName") return undefined;
  return selector;
}

export const serviceSelects = (svc: Service, pod: Pod): boolean => {
  const selector = serviceSelector(svc);
  return !!selector && mapSelectorMatches(selector, pod.metadata.labels);
};

/** The keys of the services in the pod's namespace that select it. */
export function servicesSelecting(services: Lister<Service>, pod: Pod): string[] {
  return services.list(pod.metadata.namespace).filter((svc) => serviceSelects(svc, pod)).map((svc) => objectKey(svc.metadata));
}

/** ShouldPodBeInEndpoints: finished pods and pods without an IP never are; terminating ones when asked. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  if (!pod.status?.podIP) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

/**
 * podutil.FindPort: a numeric targetPort is the port; a named one is the container port of
 * that name and the service port's protocol; undefined when no container has it.
 */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? "TCP";
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  }
  return undefined;
}

/** The hostname an endpoint carries: the pod's, when its subdomain names this service. */
export function endpointHostname(pod: Pod, svc: Service): string | undefined {
  const spec = pod.spec;
  if (spec?.hostname && spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace) return spec.hostname;
  return undefined;
}

export const podReference = (pod: Pod) => ({ kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid });

/** The parts of a pod that endpoints are built from. */
function endpointView(pod: Pod) {
  return {
    ip: pod.status?.podIP,
    ready: isPodReady(pod),
    phase: pod.status?.phase,
    deleting: !!pod.metadata.deletionTimestamp,
    labels: pod.metadata.labels ?? {},
    nodeName: pod.spec?.nodeName,
    hostname: pod.spec?.hostname,
    subdomain: pod.spec?.subdomain,
    ports: (pod.spec?.containers ?? []).map((c) => c.ports ?? []),
  };
}

/** Whether an update can change any service's endpoints (status heartbeats mostly can't). */
export const podEndpointsChanged = (old: Pod, pod: Pod): boolean => !Bun.deepEquals(endpointView(old), endpointView(pod));

/**
 * The pod and service handlers both controllers use: a service change enqueues it, a pod
 * change enqueues the services that select the pod now or did before.
 */
export function serviceHandlers(services: Lister<Service>, enqueue: (key: string) => void): { service: EventHandler<Service>; pod: EventHandler<Pod> } {
  const forPod = (pod: Pod) => servicesSelecting(services, pod).forEach(enqueue);
  return {
    service: {
      onAdd: (svc) => enqueue(objectKey(svc.metadata)),
      onUpdate: (_old, svc) => enqueue(objectKey(svc.metadata)),
      onDelete: (svc) => enqueue(objectKey(svc.metadata)),
    },
    pod: {
      onAdd: forPod,
      onUpdate: (old, pod) => {
        if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
        // No service in the pod's namespace (a pod never changes namespace): none selects it now or did before.
        if (services.list(pod.metadata.namespace).length === 0 || !podEndpointsChanged(old, pod)) return;
        forPod(pod);
        if (!Bun.deepEquals(old.metadata.labels ?? {}, pod.metadata.labels ?? {})) forPod(old);
      },
      onDelete: forPod,
    },
  };
}

/** Where the controllers write the objects they own. */
export interface ObjectWriter<T extends KubeObject> {
  create(obj: T): Promise<void>;
  /** Replaces the object; its resourceVersion must still be current. */
  update(obj: T): Promise<void>;
  /** Deletes it; already gone is fine. */
  delete(namespace: string, name: string): Promise<void>;
}

export function kubeObjectWriter<T extends KubeObject>(client: KubeClient, r: ResourceInfo): ObjectWriter<T> {
  return {
    create: async (obj) => void (await client.create(r, obj.metadata.namespace, obj)),
    update: async (obj) => void (await client.update(r, obj)),
    async delete(namespace, name) {
      await client.delete(r, namespace, name).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    },
  };
}
