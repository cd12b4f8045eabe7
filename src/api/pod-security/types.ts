// The parts of a pod spec the Pod Security Standards look at, loosely typed: the checks run on
// pods and on workload templates alike, and must not trust that a field has its declared type.
export interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string; localhostProfile?: string };
  appArmorProfile?: { type?: string; localhostProfile?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string; level?: string };
  windowsOptions?: { hostProcess?: boolean };
}

export interface PodSecurityContext extends SecurityContext {
  sysctls?: { name: string; value?: string }[];
}

export interface CheckedContainer {
  name: string;
  ports?: { hostPort?: number; containerPort?: number }[];
  securityContext?: SecurityContext;
}

export interface CheckedPodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  runtimeClassName?: string;
  securityContext?: PodSecurityContext;
  volumes?: ({ name: string } & Record<string, unknown>)[];
  containers?: CheckedContainer[];
  initContainers?: CheckedContainer[];
  ephemeralContainers?: CheckedContainer[];
}

export interface CheckedMetadata {
  name?: string;
  annotations?: Record<string, string>;
}

/** A failed check: upstream's ForbiddenReason and ForbiddenDetail. */
export interface Violation {
  reason: string;
  detail: string;
}

/** A named check of one level (k8s.io/pod-security-admission/policy Check). */
export interface Check {
  id: string;
  level: "baseline" | "restricted";
  /** Checks this one replaces at its level (the restricted form of a baseline check). */
  overrides?: string[];
  check(meta: CheckedMetadata, spec: CheckedPodSpec): Violation | undefined;
}
