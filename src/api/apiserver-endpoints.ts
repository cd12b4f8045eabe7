// The default/kubernetes Service's endpoints when several API servers share a datastore, after
// kube-apiserver's "lease" endpoint reconciler: each server keeps a Lease of its own in
// kube-system (renewed every 10 s, 15 s long) naming its address and port, and rewrites the
// Endpoints and EndpointSlice to list every server whose Lease is current. A server that dies
// drops out once its Lease runs out; one that stops removes its own Lease at once. Agents learn
// the servers they can fail over to from these endpoints.
import type { Lease } from "../apis/coordination/lease.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource } from "../apis/registry.ts";
import { formatMicroTime } from "../apis/time.ts";
import { RevisionConflictError } from "../store/errors.ts";
import { putSystemObject } from "./bootstrap.ts";
import { objectKey, type Storage } from "./storage.ts";

export const APISERVER_LEASE_LABEL = "kubun.io/apiserver-endpoint";
const RENEW_MS = 10_000;
const LEASE_SECONDS = 15;

export interface EndpointReconciler {
  /** Removes this server's Lease and rewrites the endpoints without it. */
  stop(): Promise<void>;
}

const leases = () => findResource("coordination.k8s.io", "v1", "leases")!;

function leaseName(address: string, port: number): string {
  return `kube-apiserver-${address.replace(/[^a-z0-9]/gi, "-")}-${port}`.toLowerCase();
}

/** Every server whose Lease is current at `now`, as { ip, port }. */
export function liveServers(storage: Storage, now: number): { ip: string; port: number }[] {
  const out: { ip: string; port: number }[] = [];
  for (const { object } of storage.store.list(`${objectKey(leases(), "kube-system", "")}`).items) {
    const lease = object as Lease;
    if (lease.metadata.labels?.[APISERVER_LEASE_LABEL] !== "true") continue;
    const renewed = Date.parse(lease.spec?.renewTime ?? "");
    if (!(renewed + (lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 > now)) continue;
    const [ip, port] = (lease.spec?.holderIdentity ?? "").split(/:(?=\d+$)/);
    if (ip && port) out.push({ ip, port: Number(port) });
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

async function writeEndpoints(storage: Storage, servers: { ip: string; port: number }[]): Promise<void> {
  const ports = [...new Set(servers.map((s) => s.port))].sort((a, b) => a - b);
  const subsets = ports.map((port) => ({ addresses: servers.filter((s) => s.port === port).map((s) => ({ ip: s.ip })), ports: [{ name: "https", port, protocol: "TCP" }] }));
  await putSystemObject(storage, findResource("", "v1", "endpoints")!, {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "kubernetes", namespace: "default", labels: { "endpointslice.kubernetes.io/skip-mirror": "true" } },
    subsets,
  } as KubeObject);
  // One slice holds one port: the servers on the first port, as a cluster's servers normally share one.
  const first = subsets[0];
  if (!first) return;
  await putSystemObject(storage, findResource("discovery.k8s.io", "v1", "endpointslices")!, {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "kubernetes", namespace: "default", labels: { "kubernetes.io/service-name": "kubernetes" } },
    addressType: "IPv4",
    endpoints: first.addresses.map((a) => ({ addresses: [a.ip], conditions: { ready: true } })),
    ports: first.ports,
  } as KubeObject);
}

export function startEndpointReconciler(storage: Storage, self: { address: string; port: number }, now: () => number = Date.now): EndpointReconciler {
  const name = leaseName(self.address, self.port);
  const key = objectKey(leases(), "kube-system", name);
  const reconcile = async () => {
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: "kube-system", labels: { [APISERVER_LEASE_LABEL]: "true" } },
      spec: { holderIdentity: `${self.address}:${self.port}`, leaseDurationSeconds: LEASE_SECONDS, renewTime: formatMicroTime(new Date(now())) },
    } as KubeObject;
    await putSystemObject(storage, leases(), lease);
    await writeEndpoints(storage, liveServers(storage, now()));
  };
  // Two servers rewriting the endpoints at once: one loses the compare-and-swap, and its next round writes again.
  const run = () => reconcile().catch((err) => err instanceof RevisionConflictError || console.warn(`kubun server: reconciling the kubernetes endpoints: ${err instanceof Error ? err.message : err}`));
  const first = run();
  const timer = setInterval(run, RENEW_MS);
  return {
    async stop() {
      clearInterval(timer);
      await first;
      const current = storage.store.get(key);
      if (current) await storage.store.delete(key, current.revision).catch(() => {});
      await writeEndpoints(storage, liveServers(storage, now())).catch(() => {});
    },
  };
}
