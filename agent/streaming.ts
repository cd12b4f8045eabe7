// The agent's streaming endpoints, kubelet's paths, reached only by the API server (mutual TLS, agent.ts):
//   /exec/{ns}/{pod}/{uid}/{container}?command=…&stdin&stdout&stderr&tty   (v5/v4.channel.k8s.io)
//   /attach/{ns}/{pod}/{uid}/{container}?stdin&stdout&stderr&tty           (v5/v4.channel.k8s.io)
//   /portforward/{ns}/{pod}/{uid}                                          (SPDY/3.1+portforward.k8s.io)
// exec without a tty runs `ctr task exec` against the container's task: its stdin closes when
// kubectl's does (the v5 close signal), which containerd's own WebSocket exec (v4 only) cannot
// express and `kubectl cp` needs. tty exec, attach and portforward go to containerd's CRI streaming
// server, as kubelet does: tty exec and attach over its v4 WebSocket (which resizes the runtime's own
// tty on channel 4), portforward by handing it the SPDY session kubectl tunnels to us.
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { connect, type Socket } from "node:net";
import type { RuntimeService, StreamingService } from "./cri/index.ts";
import { CONTAINER_NAME, POD_UID } from "./pods/labels.ts";

const REMOTE_COMMAND = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
// The API server's name for kubectl's SPDY/3.1+portforward.k8s.io tunnel (see src/api/streaming.ts).
const PORT_FORWARD = ["portforward.tunnel.kubun.io"];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

/** What the sessions need of the runtime: find the container or sandbox, then ask for a streaming URL. */
export type StreamingRuntime = Pick<RuntimeService, "listContainers" | "listPodSandbox"> & StreamingService;

export interface AgentStreamingOptions {
  runtime: StreamingRuntime;
  /** containerd's socket, for `ctr task exec` (exec without a tty). */
  socket: string;
  ctr?: string;
}

interface Session {
  open(ws: ServerWebSocket<SessionData>): void;
  message(data: Uint8Array): void;
  close(): void;
}

export interface SessionData {
  session: Session;
}

export interface AgentStreaming {
  /** Whether the request is for a streaming path (the rest of the agent's endpoints answer the others). */
  handles(req: Request): boolean;
  /** Upgrades a streaming request: undefined once upgraded (Bun's convention), else the error. */
  fetch(req: Request, server: Server<SessionData>): Response | undefined;
  websocket: WebSocketHandler<SessionData>;
}

/** A v4/v5 channel frame: the channel byte, then the payload. */
export function frame(channel: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const out = new Uint8Array(bytes.length + 1);
  out[0] = channel;
  out.set(bytes, 1);
  return out;
}

/** The Status kubelet reports on the error channel when a command ends. */
export function exitStatus(code: number, command: string[]): object {
  if (code === 0) return { metadata: {}, status: "Success" };
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}

const failure = (message: string) => ({ metadata: {}, status: "Failure", message, reason: "InternalError", code: 500 });

const STREAM_PATH = /^\/(exec|attach|portforward)\/([^/]+)\/([^/]+)\/([^/]+)(?:\/([^/]+))?\/?$/;

const text = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

export function agentStreaming(opts: AgentStreamingOptions): AgentStreaming {
  const { runtime } = opts;
  return {
    handles: (req) => STREAM_PATH.test(new URL(req.url).pathname),
    fetch(req, server) {
      const url = new URL(req.url);
      const m = STREAM_PATH.exec(url.pathname);
      if (!m) return text(404, "not found\n");
      const [kind, , , uid, container] = [m[1]!, ...m.slice(2).map((s) => (s === undefined ? s : decodeURIComponent(s)))] as [string, string, string, string, string | undefined];
      const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
      const protocol = (kind === "portforward" ? PORT_FORWARD : REMOTE_COMMAND).find((p) => offered.includes(p));
      if (!protocol) return text(400, "Upgrade request required\n");
      const q = url.searchParams;
      const flag = (k: string) => q.get(k) === "true" || q.get(k) === "1";
      let session: Session;
      if (kind === "portforward") session = new PortForwardSession(runtime, uid);
      else if (!container) return text(404, "not found\n");
      else {
        const streams = { stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr"), tty: flag("tty") };
        const command = q.getAll("command");
        if (kind === "exec" && !streams.tty) session = new ExecSession(opts, { uid, container, command, stdin: streams.stdin });
        // A tty merges stderr into stdout; the runtime refuses an exec that asks for both.
        else if (kind === "exec") session = new RuntimeStreamSession(runtime, uid, container, (id) => runtime.exec({ container_id: id, cmd: command, ...streams, stderr: streams.stderr && !streams.tty }));
        else session = new RuntimeStreamSession(runtime, uid, container, (id) => runtime.attach({ container_id: id, ...streams }));
      }
      const ok = server.upgrade(req, { data: { session }, headers: { "Sec-WebSocket-Protocol": protocol } });
      return ok ? undefined : text(400, "Upgrade request required\n");
    },
    websocket: {
      open: (ws) => ws.data.session.open(ws),
      message: (ws, msg) => ws.data.session.message(typeof msg === "string" ? new TextEncoder().encode(msg) : new Uint8Array(msg)),
      close: (ws) => ws.data.session.close(),
      idleTimeout: 0,
      maxPayloadLength: 16 * 1024 * 1024,
    },
  };
}

async function runningContainer(runtime: StreamingRuntime, uid: string, name: string): Promise<string> {
  const all = await runtime.listContainers({ label_selector: { [POD_UID]: uid, [CONTAINER_NAME]: name } });
  const running = all.filter((c) => c.state === "CONTAINER_RUNNING").sort((a, b) => (BigInt(b.created_at) > BigInt(a.created_at) ? 1 : -1));
  if (!running[0]) throw new Error(`container not found ("${name}")`);
  return running[0].id;
}

/** Messages that arrive before the session is ready are replayed once it is. */
abstract class BufferedSession implements Session {
  protected ws?: ServerWebSocket<SessionData>;
  private pending: Uint8Array[] | undefined = [];
  protected closed = false;
  /** Remote commands report failures as a Status on channel 3; a port-forward tunnel can only close. */
  protected abstract readonly errorChannel: boolean;

  open(ws: ServerWebSocket<SessionData>): void {
    this.ws = ws;
    this.start().then(
      () => {
        const pending = this.pending ?? [];
        this.pending = undefined;
        for (const m of pending) this.deliver(m);
      },
      (err) => this.fail((err as Error).message),
    );
  }

  message(data: Uint8Array): void {
    if (this.pending) this.pending.push(data);
    else this.deliver(data);
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  /** Reports a failure the way the protocol can: the error channel, or just closing. */
  protected fail(message: string): void {
    if (this.closed) return;
    if (this.errorChannel) this.ws?.send(frame(ERROR, JSON.stringify(failure(message))));
    this.ws?.close(1000, "");
  }

  protected abstract start(): Promise<void>;
  protected abstract deliver(data: Uint8Array): void;
  protected abstract stop(): void;
}

interface ExecRequest {
  uid: string;
  container: string;
  command: string[];
  stdin: boolean;
}

class ExecSession extends BufferedSession {
  protected readonly errorChannel = true;
  private proc?: ReturnType<typeof Bun.spawn<"pipe", "pipe", "pipe">>;

  constructor(
    private readonly opts: AgentStreamingOptions,
    private readonly req: ExecRequest,
  ) {
    super();
  }

  protected async start(): Promise<void> {
    const id = await runningContainer(this.opts.runtime, this.req.uid, this.req.container);
    const execId = `kubun-exec-${crypto.randomUUID().slice(0, 13)}`;
    const argv = [this.opts.ctr ?? "ctr", "--address", this.opts.socket, "--namespace", "k8s.io", "task", "exec", "--exec-id", execId, id, ...this.req.command];
    const proc = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    this.proc = proc;
    if (!this.req.stdin) proc.stdin.end();
    void this.finish(proc);
  }

  private async finish(proc: NonNullable<ExecSession["proc"]>): Promise<void> {
    await Promise.all([this.pump(proc.stdout, STDOUT), this.pump(proc.stderr, STDERR)]);
    const code = await proc.exited;
    if (this.closed) return;
    this.ws!.send(frame(ERROR, JSON.stringify(exitStatus(code, this.req.command))));
    this.ws!.close(1000, "");
  }

  private async pump(stream: ReadableStream<Uint8Array>, channel: number): Promise<void> {
    for await (const chunk of stream) {
      if (this.closed) continue;
      this.ws!.send(frame(channel, chunk));
    }
  }

  protected deliver(data: Uint8Array): void {
    const stdin = this.proc?.stdin;
    if (!stdin || data.length === 0) return;
    if (data[0] === STDIN && this.req.stdin) {
      stdin.write(data.subarray(1));
      stdin.flush();
    } else if (data[0] === CLOSE && data[1] === STDIN) stdin.end();
    // Resizes (channel 4) mean nothing without a tty; tty exec goes to the runtime's streaming server.
  }

  protected stop(): void {
    if (this.proc && this.proc.exitCode === null) this.proc.kill();
  }
}

/**
 * attach and tty exec: containerd's v4 WebSocket, frames relayed as they are (v5's close signal has
 * no v4 form). The streaming server applies resizes (channel 4) to the tty and reports the exit
 * status on channel 3 itself, as kubelet's does.
 */
class RuntimeStreamSession extends BufferedSession {
  protected readonly errorChannel = true;
  private upstream?: WebSocket;

  constructor(
    private readonly runtime: StreamingRuntime,
    private readonly uid: string,
    private readonly container: string,
    private readonly streamUrl: (containerId: string) => Promise<string>,
  ) {
    super();
  }

  protected async start(): Promise<void> {
    const id = await runningContainer(this.runtime, this.uid, this.container);
    const url = await this.streamUrl(id);
    const upstream = new WebSocket(url.replace(/^http/, "ws"), ["v4.channel.k8s.io"]);
    upstream.binaryType = "arraybuffer";
    this.upstream = upstream;
    upstream.onmessage = (e) => this.ws?.send(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer));
    upstream.onclose = () => this.ws?.close(1000, "");
    await new Promise<void>((resolve, reject) => {
      upstream.onopen = () => resolve();
      upstream.onerror = () => reject(new Error("the runtime's streaming server refused the stream"));
    });
  }

  protected deliver(data: Uint8Array): void {
    if (data[0] !== CLOSE) this.upstream?.send(data);
  }

  protected stop(): void {
    this.upstream?.close();
  }
}

/** portforward: the SPDY session kubectl tunnels goes, byte for byte, to containerd's port forwarder. */
class PortForwardSession extends BufferedSession {
  protected readonly errorChannel = false;
  private upstream?: Socket;

  constructor(
    private readonly runtime: StreamingRuntime,
    private readonly uid: string,
  ) {
    super();
  }

  protected async start(): Promise<void> {
    const sandboxes = await this.runtime.listPodSandbox({ label_selector: { [POD_UID]: this.uid }, state: { state: "SANDBOX_READY" } });
    if (!sandboxes[0]) throw new Error(`no running sandbox for pod ${this.uid}`);
    const url = new URL(await this.runtime.portForward(sandboxes[0].id));
    const sock = connect({ host: url.hostname, port: Number(url.port) });
    this.upstream = sock;
    // The streaming server speaks SPDY after an HTTP upgrade, the handshake kubelet's proxy makes.
    sock.write(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n`,
    );
    let head: Buffer = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        sock.off("data", onData);
        const status = head.subarray(0, head.indexOf("\r\n")).toString();
        if (!/^HTTP\/1\.1 101/.test(status)) return reject(new Error(`the runtime's port forwarder answered ${status}`));
        const rest = head.subarray(end + 4);
        if (rest.length) this.ws?.send(new Uint8Array(rest));
        sock.on("data", (d: Buffer) => this.ws?.send(new Uint8Array(d)));
        resolve();
      };
      sock.on("data", onData);
      sock.once("error", reject);
    });
    sock.on("error", () => this.ws?.close(1000, ""));
    sock.on("close", () => this.ws?.close(1000, ""));
  }

  protected deliver(data: Uint8Array): void {
    this.upstream?.write(data);
  }

  protected stop(): void {
    this.upstream?.destroy();
  }
}
