// PodSandboxConfig from a pod, as kubelet builds it: metadata with the pod's uid, hostname, DNS,
// port mappings, labels/annotations and the namespace options kubelet sends.
import type { Pod } from "../../src/apis/index.ts";
import type { DNSConfig, PodSandboxConfig, PortMapping } from "../cri/index.ts";
import { podLabels } from "./labels.ts";

export interface SandboxContext {
  /** Where containerd writes this pod's container logs (<dir>/<container>/<restart>.log). */
  logDirectory: string;
  /** The cluster DNS (kube-dns Service IP) for ClusterFirst pods; omitted: the host's resolv.conf. */
  clusterDNS?: string[];
  clusterDomain?: string;
  attempt?: number;
}

/** What `hostname` returns in the pod: spec.hostname or the pod name, cut to a DNS label. */
export function podHostname(pod: Pod): string {
  return (pod.spec?.hostname || pod.metadata.name || "").slice(0, 63).replace(/[-.]+$/, "");
}

export function podDNSConfig(pod: Pod, ctx: SandboxContext): DNSConfig | undefined {
  const spec = pod.spec ?? { containers: [] };
  const policy = spec.dnsPolicy ?? "ClusterFirst";
  const ns = pod.metadata.namespace ?? "default";
  const domain = ctx.clusterDomain ?? "cluster.local";
  let dns: DNSConfig | undefined;
  const useCluster = ctx.clusterDNS?.length && (policy === "ClusterFirst" ? !spec.hostNetwork : policy === "ClusterFirstWithHostNet");
  if (useCluster) dns = { servers: ctx.clusterDNS, searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain], options: ["ndots:5"] };
  if (policy === "None") dns = { servers: [], searches: [], options: [] };
  const extra = spec.dnsConfig;
  if (extra) {
    dns ??= { servers: [], searches: [], options: [] };
    dns.servers = [...(dns.servers ?? []), ...(extra.nameservers ?? [])];
    dns.searches = [...(dns.searches ?? []), ...(extra.searches ?? [])];
    dns.options = [...(dns.options ?? []), ...(extra.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name))];
  }
  return dns;
}

export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: p.protocol ?? "TCP", container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIP ?? "" });
    }
  }
  return out;
}

export function sandboxConfig(pod: Pod, ctx: SandboxContext): PodSandboxConfig {
  const spec = pod.spec ?? { containers: [] };
  const m = pod.metadata;
  const hostNetwork = spec.hostNetwork === true;
  const sc = spec.securityContext;
  const config: PodSandboxConfig = {
    metadata: { name: m.name ?? "", uid: m.uid ?? "", namespace: m.namespace ?? "default", attempt: ctx.attempt ?? 0 },
    // A host-network pod keeps the node's hostname: the runtime rejects one here.
    hostname: hostNetwork ? "" : podHostname(pod),
    log_directory: ctx.logDirectory,
    port_mappings: portMappings(pod),
    labels: podLabels(pod),
    annotations: { ...(m.annotations ?? {}) },
    linux: {
      security_context: {
        // kubelet's choice: the pod shares network and IPC; PID is per container unless asked.
        namespace_options: {
          network: hostNetwork ? "NODE" : "POD",
          pid: spec.hostPID ? "NODE" : spec.shareProcessNamespace ? "POD" : "CONTAINER",
          ipc: spec.hostIPC ? "NODE" : "POD",
        },
        ...(sc?.runAsUser !== undefined ? { run_as_user: { value: sc.runAsUser } } : {}),
        ...(sc?.runAsGroup !== undefined ? { run_as_group: { value: sc.runAsGroup } } : {}),
        ...(sc?.supplementalGroups?.length ? { supplemental_groups: sc.supplementalGroups } : {}),
        // kubelet's rule: the runtime allows a privileged container only in a privileged sandbox.
        privileged: [...(spec.initContainers ?? []), ...spec.containers].some((c) => c.securityContext?.privileged === true),
      },
      sysctls: Object.fromEntries((sc?.sysctls ?? []).map((s) => [s.name, s.value])),
    },
  };
  const dns = podDNSConfig(pod, ctx);
  if (dns) config.dns_config = dns;
  return config;
}
