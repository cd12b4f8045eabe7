// Objects every cluster starts with.
import { networkInterfaces } from "node:os";
import { applyDefaults } from "../apis/index.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource, type ResourceInfo } from "../apis/registry.ts";
import { DEFAULT_CLASS_ANNOTATION, LOCAL_PATH_PROVISIONER } from "../apis/storage/storageclass.ts";
import { SYSTEM_PRIORITY_CLASSES } from "../apis/scheduling/priorityclass.ts";
import { StorageWriteError } from "../store/errors.ts";
import { formatTime } from "../apis/time.ts";
import { objectKey, type Storage } from "./storage.ts";
import { isNotFound } from "../apis/errors.ts";

const UNWRITABLE = new Set(["EROFS", "ENOSPC", "EDQUOT", "EACCES"]);

/**
 * Runs one of the server's own writes (start-up objects, compaction, kubeconfig files). A data
 * dir that cannot be written (a read-only mount, a full disk) must not keep the server from
 * serving reads, so such a failure is logged and skipped; every other error still throws.
 */
export async function bestEffortWrite(what: string, write: () => Promise<unknown> | unknown, warn: (msg: string) => void = console.warn): Promise<void> {
  try {
    await write();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof StorageWriteError) && !(typeof code === "string" && UNWRITABLE.has(code))) throw err;
    warn(`kubun server: skipped ${what}: ${(err as Error).message}`);
  }
}

export const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

export async function ensureDefaultNamespaces(storage: Storage): Promise<void> {
  const namespaces = findResource("", "v1", "namespaces")!;
  for (const name of DEFAULT_NAMESPACES) {
    try {
      storage.get(namespaces, undefined, name);
    } catch {
      await storage.create(namespaces, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    }
  }
}

/**
 * The `local-path` StorageClass k3s ships, served by kubun's built-in provisioner. Like k3s's
 * packaged manifests it is put back at each start when missing; a changed one is left alone.
 */
export async function ensureDefaultStorageClass(storage: Storage): Promise<void> {
  const classes = findResource("storage.k8s.io", "v1", "storageclasses")!;
  if (storage.store.get(objectKey(classes, undefined, "local-path"))) return;
  await storage.create(classes, undefined, {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "local-path", annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
  } as KubeObject);
}

/** system-node-critical and system-cluster-critical, put back at each start when missing (as kube-apiserver does). */
export async function ensureSystemPriorityClasses(storage: Storage): Promise<void> {
  const classes = findResource("scheduling.k8s.io", "v1", "priorityclasses")!;
  for (const pc of SYSTEM_PRIORITY_CLASSES) {
    if (storage.store.get(objectKey(classes, undefined, pc.metadata.name!))) continue;
    await storage.create(classes, undefined, structuredClone(pc));
  }
}

/** Where the API server is reached: its bind address, or the host's first non-loopback IPv4 when bound to all. */
export function advertiseAddress(bind: string): string {
  if (bind !== "0.0.0.0" && bind !== "::" && bind !== "") return bind;
  for (const addrs of Object.values(networkInterfaces())) {
    const v4 = addrs?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return v4.address;
  }
  return "127.0.0.1";
}

export interface KubernetesServiceOptions {
  /** The first IP of the service range (the allocator's kubernetesServiceIP). */
  clusterIP: string;
  /** The API server's address and port, where the service's endpoints point. */
  address: string;
  port: number;
}

/**
 * The `kubernetes` Service in default and its Endpoints and EndpointSlice, pointing at this API
 * server (kube-apiserver's endpoint reconciler). The service has no selector, so the endpoints
 * controllers leave both alone; a restart on a new port or address rewrites them.
 */
export async function ensureKubernetesService(storage: Storage, opts: KubernetesServiceOptions): Promise<void> {
  const services = findResource("", "v1", "services")!;
  const ports = [{ name: "https", protocol: "TCP", port: 443, targetPort: opts.port }];
  try {
    const current = storage.get(services, "default", "kubernetes") as { spec?: { ports?: unknown } };
    if (!Bun.deepEquals(current.spec?.ports, ports)) {
      await storage.update(services, "default", "kubernetes", (svc) => ({ ...svc, spec: { ...(svc as { spec?: object }).spec, ports } }));
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await storage.create(services, "default", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kubernetes", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: { type: "ClusterIP", clusterIP: opts.clusterIP, ports, sessionAffinity: "None" },
    } as KubeObject);
  }
  const endpointPort = { name: "https", port: opts.port, protocol: "TCP" };
  await putSystemObject(storage, findResource("", "v1", "endpoints")!, {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
    subsets: [{ addresses: [{ ip: opts.address }], ports: [endpointPort] }],
  } as KubeObject);
  await putSystemObject(storage, findResource("discovery.k8s.io", "v1", "endpointslices")!, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
    addressType: "IPv4",
    endpoints: [{ addresses: [opts.address], conditions: { ready: true } }],
    ports: [endpointPort],
  } as KubeObject);
}

/**
 * Writes an object the API server owns straight to the store. It skips admission on purpose:
 * a server bound to 127.0.0.1 advertises a loopback address, which validation refuses from
 * clients but which is right for a proxy on the same host.
 */
export async function putSystemObject(storage: Storage, r: ResourceInfo, desired: KubeObject): Promise<void> {
  applyDefaults(r, desired);
  const key = objectKey(r, desired.metadata.namespace, desired.metadata.name!);
  const current = storage.store.get(key);
  if (!current) {
    desired.metadata.uid = crypto.randomUUID();
    desired.metadata.creationTimestamp = formatTime(new Date());
    await storage.store.create(key, desired);
    return;
  }
  const { metadata: _, ...body } = desired;
  const { metadata: currentMeta, ...currentBody } = current.object;
  if (Bun.deepEquals(body, currentBody) && Bun.deepEquals(desired.metadata.labels, currentMeta.labels)) return;
  await storage.store.update(key, { ...body, metadata: { ...currentMeta, labels: desired.metadata.labels } } as KubeObject, current.revision);
}
