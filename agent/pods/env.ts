// A container's environment as kubelet makes it: envFrom first, then env in order, with
// valueFrom resolved (configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef) and $(VAR)
// references expanded against the variables defined before.
import type { PersistentVolume, PersistentVolumeClaim } from "../../src/apis/core/persistentvolume.ts";
import type { ConfigMap, Container, Pod, ResourceList, Secret } from "../../src/apis/index.ts";
import { quantityMilliValue, quantityValue } from "../../src/apis/quantity.ts";

/** Reads the objects env and volumes refer to; null when they do not exist. */
export interface ObjectSource {
  configMap(namespace: string, name: string): Promise<ConfigMap | null>;
  secret(namespace: string, name: string): Promise<Secret | null>;
  /** A token of the pod's service account and the cluster CA; null when the account doesn't exist. */
  serviceAccountToken?(pod: Pod): Promise<{ token: string; caCert: string } | null>;
  persistentVolumeClaim?(namespace: string, name: string): Promise<PersistentVolumeClaim | null>;
  persistentVolume?(name: string): Promise<PersistentVolume | null>;
}

export interface EnvContext {
  source: ObjectSource;
  podIP?: string;
  hostIP?: string;
  /** Limits default to the node's allocatable when a container sets none. */
  nodeAllocatable?: ResourceList;
}

/** A container cannot be created until this is fixed (kubelet's CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  readonly reason = "CreateContainerConfigError";
}

const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

export function secretData(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = decode(v);
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

export function configMapData(cm: ConfigMap): Record<string, string> {
  const out: Record<string, string> = { ...(cm.data ?? {}) };
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = decode(v);
  return out;
}

/** Expands $(NAME) from `vars`; $$ escapes; unknown references stay as written. */
export function expandVars(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (all, name?: string) => {
    if (all === "$$") return "$";
    return name !== undefined && name in vars ? vars[name]! : all;
  });
}

/** The value a fieldRef selects (metadata.name, metadata.labels['k'], status.podIP ...). */
export function fieldRefValue(pod: Pod, path: string, ctx: Pick<EnvContext, "podIP" | "hostIP">): string {
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed) return (pod.metadata[keyed[1] as "labels" | "annotations"] ?? {})[keyed[2]!] ?? "";
  switch (path) {
    case "metadata.name":
      return pod.metadata.name ?? "";
    case "metadata.namespace":
      return pod.metadata.namespace ?? "default";
    case "metadata.uid":
      return pod.metadata.uid ?? "";
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.podIP":
    case "status.podIPs":
      return ctx.podIP ?? "";
    case "status.hostIP":
    case "status.hostIPs":
      return ctx.hostIP ?? "";
  }
  throw new ContainerConfigError(`unsupported fieldRef ${path}`);
}

/** limits.cpu, requests.memory ... in units of the divisor (cpu rounds up, as kubelet does). */
export function resourceFieldValue(c: Container, resource: string, divisor: string | number | undefined, allocatable: ResourceList = {}): string {
  const [kind, name] = resource.split(".", 2) as [string, string];
  const q = (kind === "limits" ? c.resources?.limits?.[name] : c.resources?.requests?.[name]) ?? (kind === "limits" ? allocatable[name] : undefined);
  if (q === undefined) return "0";
  if (name === "cpu") {
    const milli = quantityMilliValue(q);
    const div = divisor !== undefined ? quantityMilliValue(divisor) : 1000;
    return String(Math.ceil(milli / div));
  }
  const div = divisor !== undefined ? quantityValue(divisor) : 1;
  return String(Math.ceil(quantityValue(q) / div));
}

export async function containerEnv(pod: Pod, c: Container, ctx: EnvContext): Promise<{ key: string; value: string }[]> {
  const ns = pod.metadata.namespace ?? "default";
  const vars: Record<string, string> = {};
  const order: string[] = [];
  const set = (k: string, v: string) => {
    if (!(k in vars)) order.push(k);
    vars[k] = v;
  };
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.configMapRef?.name) {
      const cm = await ctx.source.configMap(ns, from.configMapRef.name);
      if (!cm && !from.configMapRef.optional) throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(cm ? configMapData(cm) : {})) set(prefix + k, v);
    }
    if (from.secretRef?.name) {
      const s = await ctx.source.secret(ns, from.secretRef.name);
      if (!s && !from.secretRef.optional) throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(s ? secretData(s) : {})) set(prefix + k, v);
    }
  }
  for (const e of c.env ?? []) {
    const src = e.valueFrom;
    if (!src) {
      set(e.name, expandVars(e.value ?? "", vars));
      continue;
    }
    if (src.configMapKeyRef) {
      const ref = src.configMapKeyRef;
      const cm = ref.name ? await ctx.source.configMap(ns, ref.name) : null;
      const value = cm ? configMapData(cm)[ref.key] : undefined;
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(cm ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` : `configmap "${ref.name}" not found`);
      }
      set(e.name, value);
    } else if (src.secretKeyRef) {
      const ref = src.secretKeyRef;
      const s = ref.name ? await ctx.source.secret(ns, ref.name) : null;
      const value = s ? secretData(s)[ref.key] : undefined;
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(s ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` : `secret "${ref.name}" not found`);
      }
      set(e.name, value);
    } else if (src.fieldRef) set(e.name, fieldRefValue(pod, src.fieldRef.fieldPath, ctx));
    else if (src.resourceFieldRef) {
      const ref = src.resourceFieldRef;
      const target = ref.containerName ? pod.spec?.containers.find((x) => x.name === ref.containerName) ?? c : c;
      set(e.name, resourceFieldValue(target, ref.resource, ref.divisor, ctx.nodeAllocatable));
    }
  }
  return order.map((key) => ({ key, value: vars[key]! }));
}
