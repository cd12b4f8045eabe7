// The browser's Kubernetes client: requests with the user's bearer token, Status errors as
// exceptions carrying the server's own message, and watches that stay live — resumed from the
// last resourceVersion after a drop, re-listed when the server answers 410 Gone.
export interface Status {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface WatchEvent<T = any> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

export const TABLE_ACCEPT = "application/json;as=Table;g=meta.k8s.io;v=v1, application/json";

export class Api {
  constructor(readonly token: string) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.token}`);
    if (!headers.has("accept")) headers.set("accept", "application/json");
    const res = await fetch(path, { ...init, headers });
    if (!res.ok) throw await toError(res);
    return res;
  }

  async json<T = any>(path: string, init: RequestInit = {}): Promise<T> {
    return (await this.fetch(path, init)).json() as Promise<T>;
  }

  send<T = any>(method: string, path: string, body: unknown, contentType = "application/json"): Promise<T> {
    return this.json<T>(path, { method, body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": contentType } });
  }

  /**
   * Watches `path` (a collection URL) from `resourceVersion`. On a dropped stream it resumes from
   * the last resourceVersion it saw; on 410 Gone it calls `relist`, which lists again and
   * returns the new resourceVersion. Returns a function that stops the watch.
   */
  watch(path: string, resourceVersion: string, onEvent: (e: WatchEvent) => void, opts: { accept?: string; relist: () => Promise<string> }): () => void {
    let stopped = false;
    let rv = resourceVersion;
    let abort = new AbortController();
    const run = async () => {
      while (!stopped) {
        try {
          const sep = path.includes("?") ? "&" : "?";
          const res = await this.fetch(`${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(rv)}`, {
            signal: abort.signal,
            headers: { accept: opts.accept ?? "application/json" },
          });
          for await (const line of lines(res.body!)) {
            const event = JSON.parse(line) as WatchEvent;
            if (event.type === "ERROR") {
              const status = event.object as Status;
              if (status.code === 410) rv = await opts.relist();
              break;
            }
            const eventRv = event.object?.metadata?.resourceVersion;
            if (eventRv) rv = eventRv;
            if (event.type !== "BOOKMARK") onEvent(event);
          }
        } catch (err) {
          if (stopped) return;
          if (err instanceof ApiError && err.code === 410) rv = await opts.relist().catch(() => rv);
        }
        if (!stopped) await sleep(1000);
      }
    };
    void run();
    return () => {
      stopped = true;
      abort.abort();
    };
  }

  /** Streams a text body (pod logs with follow) to `onText`; returns a stop function. */
  stream(path: string, onText: (text: string) => void, onEnd: (err?: Error) => void): () => void {
    const abort = new AbortController();
    (async () => {
      const res = await this.fetch(path, { signal: abort.signal, headers: { accept: "*/*" } });
      const decoder = new TextDecoder();
      const reader = res.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        onText(decoder.decode(value, { stream: true }));
      }
      onEnd();
    })().catch((err) => {
      if (!abort.signal.aborted) onEnd(err instanceof Error ? err : new Error(String(err)));
    });
    return () => abort.abort();
  }
}

async function toError(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const status = JSON.parse(text) as Status;
    if (status.kind === "Status") return new ApiError(status.code ?? res.status, status.reason ?? "", status.message ?? res.statusText);
  } catch {
    // not a Status: fall through
  }
  return new ApiError(res.status, res.statusText, text || res.statusText);
}

async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) yield line;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
