// The CRI runtime.v1 messages kubun sends and reads, typed as proto-loader hands them over:
// field names as in api.proto (keepCase), enums as their names, int64 as decimal strings
// (timestamps are nanoseconds, beyond 2^53). Requests may pass int64 fields as numbers.

export type Int64 = string | number;
export type Labels = Record<string, string>;

export type NamespaceMode = "POD" | "CONTAINER" | "NODE" | "TARGET";
export type PodSandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";
export type ContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";
export type Protocol = "TCP" | "UDP" | "SCTP";

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  target_id?: string;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt?: number;
}

export interface DNSConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface PortMapping {
  protocol?: Protocol;
  container_port: number;
  host_port?: number;
  host_ip?: string;
}

export interface LinuxContainerResources {
  cpu_period?: Int64;
  cpu_quota?: Int64;
  cpu_shares?: Int64;
  memory_limit_in_bytes?: Int64;
  oom_score_adj?: Int64;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  log_directory?: string;
  dns_config?: DNSConfig;
  port_mappings?: PortMapping[];
  labels?: Labels;
  annotations?: Labels;
  linux?: {
    cgroup_parent?: string;
    security_context?: {
      namespace_options?: NamespaceOption;
      privileged?: boolean;
      run_as_user?: { value: Int64 };
      run_as_group?: { value: Int64 };
      supplemental_groups?: Int64[];
    };
    sysctls?: Labels;
  };
}

export interface Mount {
  container_path: string;
  host_path: string;
  readonly?: boolean;
  propagation?: "PROPAGATION_PRIVATE" | "PROPAGATION_HOST_TO_CONTAINER" | "PROPAGATION_BIDIRECTIONAL";
}

export interface ContainerMetadata {
  name: string;
  attempt?: number;
}

export interface ImageSpec {
  image: string;
  annotations?: Labels;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: { key: string; value: string }[];
  mounts?: Mount[];
  labels?: Labels;
  annotations?: Labels;
  log_path?: string;
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
  linux?: {
    resources?: LinuxContainerResources;
    security_context?: {
      privileged?: boolean;
      namespace_options?: NamespaceOption;
      run_as_user?: { value: Int64 };
      run_as_group?: { value: Int64 };
      readonly_rootfs?: boolean;
      capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] };
      no_new_privs?: boolean;
      supplemental_groups?: Int64[];
      seccomp?: { profile_type: string; localhost_ref?: string };
    };
  };
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  created_at: string;
  labels: Labels;
  annotations: Labels;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additional_ips?: { ip: string }[] } | null;
}

export interface Container {
  id: string;
  pod_sandbox_id: string;
  metadata: ContainerMetadata;
  image?: ImageSpec | null;
  image_ref: string;
  state: ContainerState;
  created_at: string;
  labels: Labels;
  annotations: Labels;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  created_at: string;
  started_at: string;
  finished_at: string;
  exit_code: number;
  image?: ImageSpec | null;
  image_ref: string;
  reason: string;
  message: string;
  labels: Labels;
  annotations: Labels;
  log_path: string;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  pod_sandbox_id?: string;
  label_selector?: Labels;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  label_selector?: Labels;
}

export interface VersionResponse {
  version: string;
  runtime_name: string;
  runtime_version: string;
  runtime_api_version: string;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exit_code: number;
}

export interface Image {
  id: string;
  repo_tags: string[];
  repo_digests: string[];
  size: string;
  /** The image's user: uid when numeric (absent when unset), else username. */
  uid?: { value: string } | null;
  username?: string;
}

/** Exec: a new process in a running container. With a tty the runtime refuses `stderr` (a tty has one output). */
export interface ExecRequest {
  container_id: string;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

/** Attach: the streams of a container's own process; `tty` must match the container's config. */
export interface AttachRequest {
  container_id: string;
  stdin?: boolean;
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

/** The container half of CRI: sandboxes, containers, exec. Unit tests pass a fake. */
export interface RuntimeService {
  version(): Promise<VersionResponse>;
  status(): Promise<RuntimeCondition[]>;
  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  /** null when the sandbox does not exist. */
  podSandboxStatus(id: string): Promise<PodSandboxStatus | null>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]>;
  createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  /** null when the container does not exist. */
  containerStatus(id: string): Promise<ContainerStatus | null>;
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResponse>;
}

/** Registry credentials for one pull (CRI AuthConfig): username/password, or a token. */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  server_address?: string;
  identity_token?: string;
  registry_token?: string;
}

/** The image half of CRI. */
export interface ImageService {
  /** null when the image is not present. */
  imageStatus(image: string): Promise<Image | null>;
  listImages(): Promise<Image[]>;
  /** Resolves with the image's id (image_ref); `deadlineMs` bounds the whole pull. */
  pullImage(image: string, auth?: AuthConfig, deadlineMs?: number): Promise<string>;
  removeImage(image: string): Promise<void>;
}

/**
 * The streaming calls of CRI's RuntimeService: each prepares one session on the runtime's
 * streaming server and returns its URL, which the agent then connects to (kubelet's model).
 */
export interface StreamingService {
  exec(req: ExecRequest): Promise<string>;
  attach(req: AttachRequest): Promise<string>;
  /** `ports` may stay empty: kubectl names the ports inside the SPDY session itself. */
  portForward(sandboxId: string, ports?: number[]): Promise<string>;
}
