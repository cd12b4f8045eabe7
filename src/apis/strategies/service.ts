// The Service strategy: every rule of a Service write that is not allocation (cluster IPs and
// node ports are claimed in the write path by src/api/service-allocator.ts). A service starts
// with an empty load balancer status; an update keeps what was allocated unless it says
// otherwise, and a type change drops what only the old type used.
import { defaultService, externallyAccessible, needsClusterIP, needsNodePorts, servicePrinter } from "../core/service.ts";
import { validateService, validateServiceUpdate } from "../core/service-validation.ts";
import { fieldInvalid } from "../errors.ts";
import { type Causes, type JsonObject, objectsAt, objOf, objsOf, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { isValidIP, nameIsDNS1035Label } from "../validation.ts";
import type { Strategy } from "./strategy.ts";

type Spec = Record<string, any>;

function validateServiceStatus(errs: Causes, svc: JsonObject): void {
  const lb = objOf(objOf(svc.status)?.loadBalancer);
  for (const [ing, p] of objectsAt(errs, "status.loadBalancer.ingress", lb?.ingress)) {
    const ip = stringAt(errs, `${p}.ip`, ing.ip);
    if (ip) for (const msg of isValidIP(ip)) errs.push(fieldInvalid(`${p}.ip`, ip, msg));
  }
}

/** Carries over what the registry allocated when an update leaves it out (kubectl replace, apply). */
export function retainAllocatedServiceFields(svc: JsonObject, old: JsonObject): void {
  const spec = objOf(svc.spec);
  const oldSpec = objOf(old.spec);
  if (!spec || !oldSpec || spec.type === "ExternalName" || oldSpec.type === "ExternalName") return;
  if (!spec.clusterIP && !spec.clusterIPs) {
    spec.clusterIP = oldSpec.clusterIP;
    spec.clusterIPs = oldSpec.clusterIPs;
  }
  if (spec.type === "ClusterIP") return;
  const oldPorts = new Map(objsOf(oldSpec.ports).map((p) => [`${p.port}/${p.protocol ?? "TCP"}`, p.nodePort]));
  for (const p of objsOf(spec.ports)) {
    if (!p.nodePort) {
      const kept = oldPorts.get(`${p.port}/${p.protocol ?? "TCP"}`);
      if (kept) p.nodePort = kept;
    }
  }
}

const nodePortsOf = (spec: Spec) => (Array.isArray(spec.ports) ? spec.ports.map((p: Spec) => p?.nodePort ?? 0) : []);

/**
 * dropTypeDependentFields: a type change wipes what the old type had and the new one can't
 * use, as long as the client sent it back unchanged (a patch of `type` alone), so that
 * `kubectl patch -p '{"spec":{"type":"ClusterIP"}}'` on a NodePort service just works.
 */
export function dropTypeDependentFields(next: KubeObject, current: KubeObject): void {
  const spec: Spec | undefined = (next as { spec?: Spec }).spec;
  const old: Spec | undefined = (current as { spec?: Spec }).spec;
  if (!spec || !old) return;
  if (needsClusterIP(old) && !needsClusterIP(spec) && Bun.deepEquals(spec.clusterIPs, old.clusterIPs)) {
    for (const f of ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"]) delete spec[f];
  }
  if (needsNodePorts(old) && !needsNodePorts(spec) && Bun.deepEquals(nodePortsOf(spec), nodePortsOf(old))) {
    for (const p of spec.ports ?? []) if (p) delete p.nodePort;
  }
  if (old.type === "LoadBalancer" && spec.type !== "LoadBalancer") {
    delete spec.allocateLoadBalancerNodePorts;
    if (spec.healthCheckNodePort === old.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  if (externallyAccessible(old) && !externallyAccessible(spec)) delete spec.externalTrafficPolicy;
}

export const serviceStrategy: Strategy = {
  name: nameIsDNS1035Label,
  defaults: defaultService,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  validateStatus: validateServiceStatus,
  printer: servicePrinter,
  prepareForCreate(obj: KubeObject) {
    (obj as Spec).status = { loadBalancer: {} };
  },
  // A manifest without the allocated clusterIP/nodePorts means "keep them", as in Kubernetes.
  prepareForUpdate(next: KubeObject, current: KubeObject) {
    retainAllocatedServiceFields(next as JsonObject, current as JsonObject);
    dropTypeDependentFields(next, current);
  },
};
