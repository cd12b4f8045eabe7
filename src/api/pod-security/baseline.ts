// The baseline level of the Pod Security Standards (latest): what stops known privilege
// escalations, each check with upstream's ID, reason and detail wording
// (k8s.io/pod-security-admission/policy/check_*.go).
import { allContainers, containersPhrase, joinQuote, pluralize, sortedSet } from "./helpers.ts";
import type { Check, CheckedContainer, SecurityContext } from "./types.ts";

const BASELINE_CAPABILITIES = new Set([
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
  "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);

/** The namespaced sysctls the kubelet allows by default (the "safe" set as of the latest version). */
export const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
]);

const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

const sc = (c: CheckedContainer): SecurityContext => (c.securityContext && typeof c.securityContext === "object" ? c.securityContext : {});

/** "pod", `container "a"` and the like joined with " and ", as upstream names who set a field. */
function setters(pod: boolean, containers: string[]): string {
  const parts = pod ? ["pod"] : [];
  if (containers.length) parts.push(containersPhrase(containers));
  return parts.join(" and ");
}

export const baselineChecks: Check[] = [
  {
    id: "appArmorProfile",
    level: "baseline",
    check(meta, spec) {
      const bad: string[] = [];
      const allowed = (t: unknown) => t === undefined || t === "RuntimeDefault" || t === "Localhost";
      const podType = spec.securityContext?.appArmorProfile?.type;
      if (!allowed(podType)) bad.push(`pod ${JSON.stringify(podType)}`);
      for (const c of allContainers(spec)) {
        const t = sc(c).appArmorProfile?.type;
        if (!allowed(t)) bad.push(`container ${JSON.stringify(c.name)}=${JSON.stringify(t)}`);
      }
      for (const [k, v] of Object.entries(meta.annotations ?? {})) {
        if (!k.startsWith(APPARMOR_ANNOTATION)) continue;
        if (v === "" || v === "runtime/default" || v.startsWith("localhost/")) continue;
        bad.push(`${k}=${JSON.stringify(v)}`);
      }
      if (!bad.length) return undefined;
      const list = sortedSet(bad);
      return { reason: pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", list.length), detail: list.join(", ") };
    },
  },
  {
    id: "capabilities_baseline",
    level: "baseline",
    check(_meta, spec) {
      const containers: string[] = [];
      const caps: string[] = [];
      for (const c of allContainers(spec)) {
        const added = (sc(c).capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.has(cap));
        if (added.length) containers.push(c.name), caps.push(...added);
      }
      if (!containers.length) return undefined;
      return { reason: "non-default capabilities", detail: `${containersPhrase(containers)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add` };
    },
  },
  {
    id: "hostNamespaces",
    level: "baseline",
    check(_meta, spec) {
      const set = [spec.hostNetwork && "hostNetwork=true", spec.hostPID && "hostPID=true", spec.hostIPC && "hostIPC=true"].filter((s) => typeof s === "string");
      return set.length ? { reason: "host namespaces", detail: set.join(", ") } : undefined;
    },
  },
  {
    id: "hostPathVolumes",
    level: "baseline",
    check(_meta, spec) {
      const names = (spec.volumes ?? []).filter((v) => v?.hostPath != null).map((v) => v.name);
      return names.length ? { reason: "hostPath volumes", detail: `${pluralize("volume", "volumes", names.length)} ${joinQuote(names)}` } : undefined;
    },
  },
  {
    id: "hostPorts",
    level: "baseline",
    check(_meta, spec) {
      const containers: string[] = [];
      const ports: string[] = [];
      for (const c of allContainers(spec)) {
        const used = (Array.isArray(c.ports) ? c.ports : []).map((p) => p?.hostPort ?? 0).filter((p) => p !== 0);
        if (used.length) containers.push(c.name), ports.push(...used.map(String));
      }
      if (!containers.length) return undefined;
      const list = sortedSet(ports);
      const n = containers.length;
      return { reason: "hostPort", detail: `${containersPhrase(containers)} ${pluralize("uses", "use", n)} ${pluralize("hostPort", "hostPorts", list.length)} ${list.join(", ")}` };
    },
  },
  {
    id: "privileged",
    level: "baseline",
    check(_meta, spec) {
      const names = allContainers(spec).filter((c) => sc(c).privileged === true).map((c) => c.name);
      return names.length ? { reason: "privileged", detail: `${containersPhrase(names)} must not set securityContext.privileged=true` } : undefined;
    },
  },
  {
    id: "procMount",
    level: "baseline",
    check(_meta, spec) {
      const names: string[] = [];
      const values: string[] = [];
      for (const c of allContainers(spec)) {
        const m = sc(c).procMount;
        if (m !== undefined && m !== "Default") names.push(c.name), values.push(String(m));
      }
      if (!names.length) return undefined;
      return { reason: "procMount", detail: `${containersPhrase(names)} must not set securityContext.procMount to ${joinQuote(sortedSet(values))}` };
    },
  },
  {
    id: "seccompProfile_baseline",
    level: "baseline",
    check(_meta, spec) {
      const pod = spec.securityContext?.seccompProfile?.type === "Unconfined";
      const names = allContainers(spec).filter((c) => sc(c).seccompProfile?.type === "Unconfined").map((c) => c.name);
      if (!pod && !names.length) return undefined;
      return { reason: "seccompProfile", detail: `${setters(pod, names)} must not set securityContext.seccompProfile.type to "Unconfined"` };
    },
  },
  {
    id: "seLinuxOptions",
    level: "baseline",
    check(_meta, spec) {
      const types: string[] = [];
      const users: string[] = [];
      const roles: string[] = [];
      const bad = (o: SecurityContext["seLinuxOptions"]) => {
        if (!o) return false;
        let b = false;
        if (!SELINUX_TYPES.has(o.type ?? "")) types.push(o.type!), (b = true);
        if (o.user) users.push(o.user), (b = true);
        if (o.role) roles.push(o.role), (b = true);
        return b;
      };
      const pod = bad(spec.securityContext?.seLinuxOptions);
      const names = allContainers(spec).filter((c) => bad(sc(c).seLinuxOptions)).map((c) => c.name);
      if (!pod && !names.length) return undefined;
      const data: string[] = [];
      const t = sortedSet(types), u = sortedSet(users), r = sortedSet(roles);
      if (t.length) data.push(`${pluralize("type", "types", t.length)} ${joinQuote(t)}`);
      if (u.length) data.push(`${pluralize("user", "users", u.length)} ${joinQuote(u)}`);
      if (r.length) data.push(`${pluralize("role", "roles", r.length)} ${joinQuote(r)}`);
      return { reason: "seLinuxOptions", detail: `${setters(pod, names)} set forbidden securityContext.seLinuxOptions: ${data.join("; ")}` };
    },
  },
  {
    id: "sysctls",
    level: "baseline",
    check(_meta, spec) {
      const bad = (spec.securityContext?.sysctls ?? []).map((s) => s?.name).filter((n) => !SAFE_SYSCTLS.has(n));
      return bad.length ? { reason: "forbidden sysctls", detail: bad.join(", ") } : undefined;
    },
  },
  {
    id: "windowsHostProcess",
    level: "baseline",
    check(_meta, spec) {
      const pod = spec.securityContext?.windowsOptions?.hostProcess === true;
      const names = allContainers(spec).filter((c) => sc(c).windowsOptions?.hostProcess === true).map((c) => c.name);
      if (!pod && !names.length) return undefined;
      return { reason: "hostProcess", detail: `${setters(pod, names)} must not set securityContext.windowsOptions.hostProcess=true` };
    },
  },
];

export { sc as containerSecurityContext, setters };
