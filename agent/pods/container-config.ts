// ContainerConfig from a pod's container: command/args, env, working dir, mounts, resources as
// Linux cgroup settings, and the labels that let the agent find the container again.
import type { Container, Pod } from "../../src/apis/index.ts";
import { quantityMilliValue, quantityValue } from "../../src/apis/quantity.ts";
import type { ContainerConfig, LinuxContainerResources, Mount } from "../cri/index.ts";
import { ContainerConfigError, expandVars } from "./env.ts";
import { seccompFor, supplementalGroups } from "./security-context.ts";
import { CONTAINER_NAME, RESTART_COUNT, TERMINATION_GRACE, containerLabels } from "./labels.ts";
import { SERVICE_ACCOUNT_MOUNT_PATH, SERVICE_ACCOUNT_VOLUME, type PreparedVolume } from "./volumes.ts";

const CFS_PERIOD = 100_000; // µs, kubelet's default quota period
const MIN_SHARES = 2;

/** requests.cpu → cpu.shares, limits.cpu → CFS quota, limits.memory → memory limit (kubelet's math). */
export function linuxResources(c: Container): LinuxContainerResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuRequest = req.cpu ?? lim.cpu;
  const shares = cpuRequest !== undefined ? Math.max(MIN_SHARES, Math.floor((quantityMilliValue(cpuRequest) * 1024) / 1000)) : MIN_SHARES;
  const out: LinuxContainerResources = { cpu_shares: shares, cpu_period: CFS_PERIOD };
  if (lim.cpu !== undefined) out.cpu_quota = Math.max(1000, Math.floor((quantityMilliValue(lim.cpu) * CFS_PERIOD) / 1000));
  if (lim.memory !== undefined) out.memory_limit_in_bytes = Math.floor(quantityValue(lim.memory));
  return out;
}

export function containerMounts(c: Container, volumes: Map<string, PreparedVolume>): Mount[] {
  const mounts: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const v = volumes.get(vm.name);
    if (!v) throw new ContainerConfigError(`volume ${vm.name} not found`);
    mounts.push({
      container_path: vm.mountPath,
      host_path: vm.subPath ? `${v.hostPath}/${vm.subPath}` : v.hostPath,
      readonly: vm.readOnly === true || v.readOnly,
      propagation:
        vm.mountPropagation === "Bidirectional" ? "PROPAGATION_BIDIRECTIONAL" : vm.mountPropagation === "HostToContainer" ? "PROPAGATION_HOST_TO_CONTAINER" : "PROPAGATION_PRIVATE",
    });
  }
  const sa = volumes.get(SERVICE_ACCOUNT_VOLUME);
  if (sa && !mounts.some((m) => m.container_path === SERVICE_ACCOUNT_MOUNT_PATH)) {
    mounts.push({ container_path: SERVICE_ACCOUNT_MOUNT_PATH, host_path: sa.hostPath, readonly: true, propagation: "PROPAGATION_PRIVATE" });
  }
  return mounts;
}

export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  restartCount: number;
  env: { key: string; value: string }[];
  volumes: Map<string, PreparedVolume>;
}

export function containerConfig(input: ContainerConfigInput): ContainerConfig {
  const { pod, container: c, restartCount, env } = input;
  const vars = Object.fromEntries(env.map((e) => [e.key, e.value]));
  const sc = c.securityContext;
  const podSc = pod.spec?.securityContext;
  const runAsUser = sc?.runAsUser ?? podSc?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? podSc?.runAsGroup;
  const spec = pod.spec;
  const seccomp = seccompFor(pod, c);
  const groups = supplementalGroups(pod);
  return {
    metadata: { name: c.name, attempt: restartCount },
    image: { image: c.image ?? "" },
    command: (c.command ?? []).map((s) => expandVars(s, vars)),
    args: (c.args ?? []).map((s) => expandVars(s, vars)),
    working_dir: c.workingDir ?? "",
    envs: env,
    mounts: containerMounts(c, input.volumes),
    labels: containerLabels(pod, c.name),
    annotations: {
      [RESTART_COUNT]: String(restartCount),
      [TERMINATION_GRACE]: String(spec?.terminationGracePeriodSeconds ?? 30),
      [CONTAINER_NAME]: c.name,
    },
    log_path: `${c.name}/${restartCount}.log`,
    stdin: c.stdin === true,
    stdin_once: c.stdinOnce === true,
    tty: c.tty === true,
    linux: {
      resources: linuxResources(c),
      security_context: {
        privileged: sc?.privileged === true,
        namespace_options: {
          network: spec?.hostNetwork ? "NODE" : "POD",
          pid: spec?.hostPID ? "NODE" : spec?.shareProcessNamespace ? "POD" : "CONTAINER",
          ipc: spec?.hostIPC ? "NODE" : "POD",
        },
        ...(runAsUser !== undefined ? { run_as_user: { value: runAsUser } } : {}),
        ...(runAsGroup !== undefined ? { run_as_group: { value: runAsGroup } } : {}),
        readonly_rootfs: sc?.readOnlyRootFilesystem === true,
        ...(sc?.capabilities ? { capabilities: { add_capabilities: sc.capabilities.add ?? [], drop_capabilities: sc.capabilities.drop ?? [] } } : {}),
        no_new_privs: sc?.allowPrivilegeEscalation === false,
        ...(groups.length ? { supplemental_groups: groups } : {}),
        ...(seccomp ? { seccomp } : {}),
      },
    },
  };
}
