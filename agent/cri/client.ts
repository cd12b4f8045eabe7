// RuntimeService and ImageService over containerd's CRI socket: @grpc/grpc-js with the project's
// own api.proto (keepCase, enums as names, int64 as strings, defaults and oneofs filled in: the
// objects @grpc/proto-loader would hand over). The services are built straight from protobufjs's
// parse of the file rather than through proto-loader, which also derives a descriptor set of
// every message (for gRPC reflection, which a client never uses): that step alone cost the agent
// ~6 MB of resident memory.
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { useUtcBackoffDates } from "./grpc-utc-backoff.ts";
import type {
  AttachRequest,
  AuthConfig,
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatsFilter,
  ContainerStatus,
  ExecRequest,
  ExecSyncResponse,
  Image,
  ImageService,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  RuntimeCondition,
  RuntimeService,
  StatsService,
  StreamingService,
  VersionResponse,
} from "./types.ts";

const PROTO = fileURLToPath(new URL("./api.proto", import.meta.url));

/** A failed CRI call: the gRPC status code (5 NOT_FOUND, 4 DEADLINE_EXCEEDED ...) and the runtime's message. */
export class CriError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`CRI ${method}: ${details} (gRPC code ${code})`);
    this.name = "CriError";
  }
}

export const GRPC_NOT_FOUND = 5;
const GRPC_UNKNOWN = 2;
export const isNotFound = (err: unknown) => err instanceof CriError && err.code === GRPC_NOT_FOUND;

type Unary = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: any) => void) => void;
type Stub = grpc.Client & Record<string, Unary>;

/** How decoded messages look: proto-loader's options, which agent/cri/types.ts is written for. */
const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: String, defaults: true, oneofs: true };

/** One service's client class, its methods (unary or streaming) as api.proto declares them. */
function serviceClient(root: protobuf.Root, name: string): grpc.ServiceClientConstructor {
  const service = root.lookupService(name);
  const methods: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const req = root.lookupType(method.requestType);
    const res = root.lookupType(method.responseType);
    // grpc-js wants a Buffer; protobufjs hands one over under Bun already, else a view is made of it.
    const encode = (type: protobuf.Type) => (value: object) => {
      const bytes = type.encode(type.fromObject(value)).finish();
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    };
    const decode = (type: protobuf.Type) => (bytes: Buffer) => type.toObject(type.decode(bytes), TO_OBJECT);
    methods[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: encode(req),
      requestDeserialize: decode(req),
      responseSerialize: encode(res),
      responseDeserialize: decode(res),
      originalName: method.name[0]!.toLowerCase() + method.name.slice(1),
    };
  }
  return grpc.makeClientConstructor(methods, name.split(".").pop()!);
}

let loaded: { runtime: grpc.ServiceClientConstructor; image: grpc.ServiceClientConstructor } | undefined;
/** The client classes of both services, parsed from api.proto once per process. */
export function criServices(): { runtime: grpc.ServiceClientConstructor; image: grpc.ServiceClientConstructor } {
  if (!loaded) {
    const { root } = protobuf.parse(readFileSync(PROTO, "utf8"), { keepCase: true });
    root.resolveAll();
    loaded = { runtime: serviceClient(root, "runtime.v1.RuntimeService"), image: serviceClient(root, "runtime.v1.ImageService") };
  }
  return loaded;
}

export interface CriClientOptions {
  /** Path of containerd's unix socket. */
  socket: string;
  /** Deadline of each call; long calls (StopContainer, ExecSync) add their own timeout to it. */
  timeoutMs?: number;
}

/** One gRPC channel to the runtime, serving both services. */
export class CriClient implements RuntimeService, ImageService, StreamingService, StatsService {
  private readonly runtime: Stub;
  private readonly image: Stub;
  private readonly timeoutMs: number;

  constructor(opts: CriClientOptions) {
    const { runtime, image } = criServices();
    // grpc-js's reconnect back-off without local time (and so without ICU's time zones).
    useUtcBackoffDates();
    const target = `unix://${opts.socket}`;
    const creds = grpc.credentials.createInsecure();
    // Both stubs share one channel: grpc-js pools channels by target and options.
    this.runtime = new runtime(target, creds, { "grpc.max_receive_message_length": 32 << 20 }) as unknown as Stub;
    this.image = new image(target, creds, { "grpc.max_receive_message_length": 32 << 20 }) as unknown as Stub;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }

  private call<T>(stub: Stub, method: string, req: unknown, extraMs = 0): Promise<T> {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.timeoutMs + extraMs);
      stub[method]!.call(stub, req, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details || err.message));
        else resolve(res as T);
      });
    });
  }

  private async orNull<T>(p: Promise<T>): Promise<T | null> {
    try {
      return await p;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  version(): Promise<VersionResponse> {
    return this.call(this.runtime, "Version", { version: "v1" });
  }

  async status(): Promise<RuntimeCondition[]> {
    const res = await this.call<{ status?: { conditions?: RuntimeCondition[] } }>(this.runtime, "Status", {});
    return res.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ""): Promise<string> {
    // Sandbox creation includes CNI setup; give it more time than a plain call.
    const res = await this.call<{ pod_sandbox_id: string }>(this.runtime, "RunPodSandbox", { config, runtime_handler: runtimeHandler }, 60_000);
    return res.pod_sandbox_id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call(this.runtime, "StopPodSandbox", { pod_sandbox_id: id }, 30_000);
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call(this.runtime, "RemovePodSandbox", { pod_sandbox_id: id }, 30_000);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus | null> {
    const res = await this.orNull(this.call<{ status: PodSandboxStatus }>(this.runtime, "PodSandboxStatus", { pod_sandbox_id: id }));
    return res?.status ?? null;
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    const res = await this.call<{ items?: PodSandbox[] }>(this.runtime, "ListPodSandbox", { filter });
    return res.items ?? [];
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.call<{ container_id: string }>(this.runtime, "CreateContainer", {
      pod_sandbox_id: sandboxId,
      config,
      sandbox_config: sandboxConfig,
    });
    return res.container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(this.runtime, "StartContainer", { container_id: id });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.call(this.runtime, "StopContainer", { container_id: id, timeout: timeoutSeconds }, timeoutSeconds * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call(this.runtime, "RemoveContainer", { container_id: id });
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    const res = await this.call<{ containers?: Container[] }>(this.runtime, "ListContainers", { filter });
    return res.containers ?? [];
  }

  async containerStatus(id: string): Promise<ContainerStatus | null> {
    const res = await this.orNull(this.call<{ status: ContainerStatus }>(this.runtime, "ContainerStatus", { container_id: id }));
    return res?.status ?? null;
  }

  async listContainerStats(filter?: ContainerStatsFilter): Promise<ContainerStats[]> {
    const res = await this.call<{ stats?: ContainerStats[] }>(this.runtime, "ListContainerStats", { filter });
    return res.stats ?? [];
  }

  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResponse> {
    return this.call(this.runtime, "ExecSync", { container_id: id, cmd, timeout: timeoutSeconds }, timeoutSeconds * 1000);
  }

  exec(req: ExecRequest): Promise<string> {
    return this.streamUrl("Exec", req);
  }

  attach(req: AttachRequest): Promise<string> {
    return this.streamUrl("Attach", req);
  }

  portForward(sandboxId: string, ports: number[] = []): Promise<string> {
    return this.streamUrl("PortForward", { pod_sandbox_id: sandboxId, port: ports });
  }

  /** The three streaming calls answer `{ url }`; an empty one would only fail later, at connect. */
  private async streamUrl(method: string, req: unknown): Promise<string> {
    const res = await this.call<{ url: string }>(this.runtime, method, req);
    if (!res.url) throw new CriError(method, GRPC_UNKNOWN, "the runtime answered without a streaming URL");
    return res.url;
  }

  async imageStatus(image: string): Promise<Image | null> {
    const res = await this.call<{ image?: Image | null }>(this.image, "ImageStatus", { image: { image } });
    return res.image ?? null;
  }

  async listImages(): Promise<Image[]> {
    const res = await this.call<{ images?: Image[] }>(this.image, "ListImages", {});
    return res.images ?? [];
  }

  async pullImage(image: string, auth?: AuthConfig, deadlineMs = 300_000): Promise<string> {
    const res = await this.call<{ image_ref: string }>(this.image, "PullImage", { image: { image }, auth }, deadlineMs - this.timeoutMs);
    return res.image_ref;
  }

  async removeImage(image: string): Promise<void> {
    await this.call(this.image, "RemoveImage", { image: { image } });
  }
}
