// Where a webhook's clientConfig.service points to, after kube-apiserver's endpoint service
// resolver (k8s.io/apiserver/pkg/util/proxy.ResolveEndpoint): the Service must exist with a
// port equal to the configured one; the request goes to a random ready address of its
// Endpoints that serves the port of that name. The TLS server name stays
// `<service>.<namespace>.svc`, as kube-apiserver verifies the serving certificate against it.
import { findResource } from "../../apis/registry.ts";
import type { Endpoints } from "../../apis/core/endpoints.ts";
import type { Service } from "../../apis/core/service.ts";
import type { ServiceReference } from "../../apis/admissionregistration/webhook.ts";
import type { KubeObject } from "../../apis/meta.ts";

const SERVICES = findResource("", "v1", "services")!;
const ENDPOINTS = findResource("", "v1", "endpoints")!;

/** Reads one object; undefined when absent (the server's own in-memory state). */
export type ObjectGetter = (r: typeof SERVICES, namespace: string, name: string) => KubeObject | undefined;

export interface ResolvedService {
  /** What error messages name: https://<name>.<namespace>.svc:<port><path>. */
  displayURL: string;
  serverName: string;
  /** An endpoint address to connect to; undefined with `error` when none can be used. */
  connectURL?: string;
  error?: string;
}

export function resolveService(ref: ServiceReference, get: ObjectGetter): ResolvedService {
  const port = ref.port ?? 443;
  const serverName = `${ref.name}.${ref.namespace}.svc`;
  const displayURL = `https://${serverName}:${port}${ref.path ?? ""}`;
  const svc = get(SERVICES, ref.namespace, ref.name) as Service | undefined;
  if (!svc) return { displayURL, serverName, error: `service "${ref.name}" not found` };
  const type = svc.spec?.type ?? "ClusterIP";
  if (!["ClusterIP", "NodePort", "LoadBalancer"].includes(type)) return { displayURL, serverName, error: `unsupported service type "${type}"` };
  const svcPort = (svc.spec?.ports ?? []).find((p) => p.port === port);
  if (!svcPort) return { displayURL, serverName, error: `no service port ${port} found for service "${ref.name}"` };
  const eps = get(ENDPOINTS, ref.namespace, ref.name) as Endpoints | undefined;
  const candidates: string[] = [];
  for (const subset of eps?.subsets ?? []) {
    const epPort = (subset.ports ?? []).find((p) => (p.name ?? "") === (svcPort.name ?? ""));
    if (!epPort) continue;
    for (const addr of subset.addresses ?? []) {
      const host = addr.ip.includes(":") ? `[${addr.ip}]` : addr.ip;
      candidates.push(`https://${host}:${epPort.port}${ref.path ?? ""}`);
    }
  }
  if (!candidates.length) return { displayURL, serverName, error: `no endpoints available for service "${ref.name}"` };
  return { displayURL, serverName, connectURL: candidates[Math.floor(Math.random() * candidates.length)] };
}
