// The API client the scheduler, controllers and agent share (client-go's role): the REST verbs
// keyed by ResourceInfo over one keep-alive undici Agent, answers typed as API objects, failures
// as the server's own Status in a StatusError.
// undici's Agent alone (undici-agent.ts), not the whole library; its types from "undici/index.js".
import type { Dispatcher } from "undici/index.js";
import { Agent } from "./undici-agent.ts";
import type { KubeList, KubeObject, ObjectMeta } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import { loadKubeconfig, type ConnectionOptions } from "./kubeconfig.ts";
import { eventObject } from "./event-object.ts";
import { ndjsonBatches } from "./ndjson.ts";
import { apiVersionOf, resourceFor, resourcePath } from "./paths.ts";
import { isStatus, responseError } from "./response-error.ts";
import {
  PATCH_CONTENT_TYPES,
  type DeleteOptions,
  type DeleteResult,
  type ListerWatcher,
  type ListOptions,
  type ObjectEvent,
  type PatchOptions,
  type PatchType,
  type Scope,
  type WatchOptions,
  type WriteOptions,
} from "./types.ts";
import { formatTime } from "../apis/time.ts";

export interface KubeClientOptions extends ConnectionOptions {
  /** Sent as User-Agent; the API server's logs and managedFields name writers by it. */
  userAgent?: string;
  /** Connections for requests other than watches (default 32); more wait for a free one. */
  maxConnections?: number;
  /**
   * Other API servers of the same cluster (several servers on one datastore), tried in turn when
   * the current one cannot be reached, as k3s's agent load balancer does. Only a request that
   * never reached a server (its connection refused or timed out) is sent again elsewhere.
   */
  fallbackServers?: string[];
}

/** Errors of a connection that was never made: the request was not sent, so another server may take it. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN"]);

interface Endpoint {
  origin: string;
  basePath: string;
}

const endpointOf = (server: string): Endpoint => {
  const url = new URL(server);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
};

/** What the server answers a write with: the object as sent, plus the metadata the server fills in. */
export type Stored<T extends KubeObject> = T & { metadata: ObjectMeta };

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /**
   * Only success or failure matters: a 2xx body is drained unread (no decode of an object the
   * caller would drop), an error's body still becomes the StatusError.
   */
  discardBody?: boolean;
}

const queryString = (q: Query = {}): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
};

const isAbort = (err: unknown, signal?: AbortSignal) =>
  signal?.aborted === true || (err instanceof Error && err.name === "AbortError");

export class KubeClient {
  private readonly agent: Agent;
  private readonly watchAgent: Agent;
  private servers: Endpoint[];
  private current = 0;
  private readonly headers: Record<string, string>;
  /** Aborted by close(): ends every open watch, which undici's Agent.close() would wait for. */
  private readonly closing = new AbortController();

  constructor(opts: KubeClientOptions) {
    this.servers = [opts.server, ...(opts.fallbackServers ?? [])].map(endpointOf);
    this.headers = { accept: "application/json", "user-agent": opts.userAgent ?? "kubun-client" };
    if (opts.token) this.headers.authorization = `Bearer ${opts.token}`;
    const connect = opts.socketPath ? { socketPath: opts.socketPath } : { ca: opts.ca, rejectUnauthorized: !opts.insecure };
    // Requests share a bounded keep-alive pool: a burst of writes queues here rather than opening
    // a connection (and, over TLS, a session) per request. Each watch holds a connection for its
    // whole life, so watches get their own, unbounded pool and can never starve the requests.
    this.agent = new Agent({ connect, keepAliveTimeout: 60_000, connections: opts.maxConnections ?? 32 });
    this.watchAgent = new Agent({ connect, keepAliveTimeout: 60_000 });
  }

  /** A client for the current context of a kubeconfig file. */
  static fromKubeconfig(path: string, opts: { context?: string; userAgent?: string } = {}): KubeClient {
    return new KubeClient({ ...loadKubeconfig(path, opts.context), userAgent: opts.userAgent });
  }

  /**
   * Closes the pooled connections. Requests in flight complete; open watches end at once (each
   * resolves as if its signal had aborted), since undici's Agent.close() waits for every request
   * in flight and a watch is in flight until the server ends it.
   */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.all([this.agent.close(), this.watchAgent.close()]);
  }

  get<T extends KubeObject = KubeObject>(r: ResourceInfo, namespace: string | undefined, name: string, opts: { subresource?: string } = {}): Promise<T> {
    return this.request("GET", resourcePath(r, namespace, name, opts.subresource));
  }

  list<T extends KubeObject = KubeObject>(r: ResourceInfo, opts: ListOptions = {}): Promise<KubeList<T>> {
    const { namespace, ...query } = opts;
    return this.request("GET", resourcePath(r, namespace), { query: { ...query } });
  }

  /** Creates `obj` in `namespace` (or the object's own namespace when omitted). */
  create<T extends KubeObject>(r: ResourceInfo, namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<Stored<T>> {
    const ns = namespace ?? obj.metadata.namespace;
    return this.request("POST", resourcePath(r, ns), { body: this.typed(r, obj), query: writeQuery(opts) });
  }

  /** Replaces the object; its metadata.resourceVersion, if set, must still be current (else 409 Conflict). */
  update<T extends KubeObject>(r: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<Stored<T>> {
    return this.request("PUT", resourcePath(r, obj.metadata.namespace, nameOf(obj)), { body: this.typed(r, obj), query: writeQuery(opts) });
  }

  /** Replaces only the object's status (the status subresource). */
  updateStatus<T extends KubeObject>(r: ResourceInfo, obj: T, opts: WriteOptions = {}): Promise<Stored<T>> {
    return this.request("PUT", resourcePath(r, obj.metadata.namespace, nameOf(obj), "status"), {
      body: this.typed(r, obj),
      query: writeQuery(opts),
    });
  }

  patch<T extends KubeObject = KubeObject>(
    r: ResourceInfo,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    if (type === "apply" && !opts.fieldManager) throw new Error("server-side apply needs a fieldManager");
    return this.request("PATCH", resourcePath(r, namespace, name, opts.subresource), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { fieldManager: opts.fieldManager, force: opts.force },
    });
  }

  delete<T extends KubeObject = KubeObject>(r: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult<T>> {
    const body = Object.keys(opts).length ? { kind: "DeleteOptions", apiVersion: "v1", ...opts } : undefined;
    return this.request("DELETE", resourcePath(r, namespace, name), { body });
  }

  /** Binds a pod to a node (POST pods/{name}/binding), as the scheduler does; the Status answered is not decoded. */
  async bind(namespace: string, podName: string, nodeName: string, opts: { podUID?: string } = {}): Promise<void> {
    await this.request("POST", resourcePath(resourceFor("Pod"), namespace, podName, "binding"), {
      discardBody: true,
      body: {
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: podName, namespace, ...(opts.podUID ? { uid: opts.podUID } : {}) },
        target: { apiVersion: "v1", kind: "Node", name: nodeName },
      },
    });
  }

  /** Records a core/v1 Event about `involved` (named after it, as client-go's recorder does). */
  createEvent(involved: KubeObject, type: "Normal" | "Warning", reason: string, message: string, component: string): Promise<KubeObject> {
    const meta = involved.metadata;
    const namespace = meta.namespace || "default";
    const name = `${meta.name}.${Date.now().toString(16)}${Math.random().toString(16).slice(2, 8)}`;
    return this.create(resourceFor("Event"), namespace, eventObject(involved, { name, namespace, type, reason, message, component, at: formatTime(new Date()), count: 1 }));
  }

  /**
   * Streams watch events to `onEvent` until the server ends the watch (resolves) or `signal`
   * aborts (resolves). Rejects with a StatusError on an HTTP error or an ERROR event (410 Expired:
   * the revision was compacted, list again), with the network error otherwise, or with whatever
   * `onEvent` throws.
   */
  async watch<T extends KubeObject = KubeObject>(
    r: ResourceInfo,
    opts: WatchOptions,
    onEvent: (event: ObjectEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    if (signal?.aborted || this.closing.signal.aborted) return;
    // Either the caller's signal or close() ends the watch; the listeners go with the watch (a
    // client lives for days, its informers' watches restart every few minutes).
    const ctl = new AbortController();
    const ended = ctl.signal;
    const abort = () => ctl.abort();
    signal?.addEventListener("abort", abort, { once: true });
    this.closing.signal.addEventListener("abort", abort, { once: true });
    const { namespace, internLine, ...params } = opts;
    try {
      const res = await this.send("GET", resourcePath(r, namespace), {
        query: { ...params, watch: true },
        signal: ended,
        // A quiet watch is healthy: no limit on the time between events.
        bodyTimeout: 0,
        watch: true,
      });
      if (res.statusCode >= 300) throw responseError(res.statusCode, await res.body.text());
      for await (const values of ndjsonBatches(res.body, internLine)) {
        for (const value of values) {
          const event = value as { type: string; object: unknown };
          if (event.type === "ERROR") throw responseError(isStatus(event.object) ? event.object.code : 500, JSON.stringify(event.object));
          onEvent(event as ObjectEvent<T>);
        }
      }
    } catch (err) {
      if (isAbort(err, ended)) return;
      throw err;
    } finally {
      signal?.removeEventListener("abort", abort);
      this.closing.signal.removeEventListener("abort", abort);
    }
  }

  /** The list+watch pair an informer runs on, bound to one resource and scope. */
  listerWatcher<T extends KubeObject = KubeObject>(r: ResourceInfo, scope: Scope = {}): ListerWatcher<T> {
    return {
      list: (opts) => this.list<T>(r, { ...scope, ...opts }),
      watch: (opts, onEvent, signal) => this.watch<T>(r, { ...scope, ...opts }, onEvent, signal),
    };
  }

  /** Any JSON request against the API server, for paths the verbs above do not cover. */
  async request<T>(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    if (opts.discardBody && res.statusCode < 300) {
      await res.body.dump({ limit: Infinity });
      return undefined as T;
    }
    const text = await res.body.text();
    if (res.statusCode >= 300) throw responseError(res.statusCode, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The API servers this client knows, the one it uses first. */
  get serverURLs(): string[] {
    return [...this.servers.slice(this.current), ...this.servers.slice(0, this.current)].map((e) => `${e.origin}${e.basePath}`);
  }

  /** Replaces the servers to fail over to (learned from the kubernetes endpoints); the current one stays first. */
  setFallbackServers(servers: string[]): void {
    const current = this.servers[this.current]!;
    const others = servers.map(endpointOf).filter((e) => e.origin !== current.origin);
    this.servers = [current, ...others.filter((e, i) => others.findIndex((o) => o.origin === e.origin) === i)];
    this.current = 0;
  }

  private async send(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions & { bodyTimeout?: number; watch?: boolean }) {
    const headers = { ...this.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = opts.contentType ?? "application/json";
    }
    for (let attempt = 1; ; attempt++) {
      const index = this.current;
      const server = this.servers[index]!;
      try {
        return await (opts.watch ? this.watchAgent : this.agent).request({
          origin: server.origin,
          path: `${server.basePath}${path}${queryString(opts.query)}`,
          method,
          headers,
          body,
          signal: opts.signal,
          bodyTimeout: opts.bodyTimeout,
        });
      } catch (err) {
        const code = (err as { code?: string }).code ?? "";
        if (!NOT_CONNECTED.has(code) || attempt >= this.servers.length) throw err;
        // Unreachable: the next server takes this request and those after it.
        if (this.current === index) this.current = (index + 1) % this.servers.length;
      }
    }
  }

  /** Fills in apiVersion and kind so callers can pass bare `{ metadata, spec }` objects. */
  private typed<T extends KubeObject>(r: ResourceInfo, obj: T): T {
    return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(r), kind: obj.kind ?? r.kind };
  }
}

const writeQuery = (opts: WriteOptions): Query => ({ fieldManager: opts.fieldManager, dryRun: opts.dryRun ? "All" : undefined });

function nameOf(obj: KubeObject): string {
  if (!obj.metadata.name) throw new Error("the object has no metadata.name");
  return obj.metadata.name;
}

/** A client for the current context of a kubeconfig file. */
export const fromKubeconfig = (path: string, opts?: { context?: string; userAgent?: string }): KubeClient =>
  KubeClient.fromKubeconfig(path, opts);
