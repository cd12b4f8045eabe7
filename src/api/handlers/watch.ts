// watch: newline-delimited watch events, headers sent at once (kubectl's rollout status waits
// for them), resuming exactly after a resourceVersion, 410 as an ERROR event when compacted.
import { toTable } from "../../apis/index.ts";
import { badRequest, isResourceExpired, StatusError } from "../../apis/errors.ts";
import type { KubeObject, WatchEventType } from "../../apis/meta.ts";
import { groupVersion } from "../../apis/registry.ts";
import { objectJson, type StoreEvent, type WatchHandle } from "../../store/index.ts";
import { wantsTable } from "../content.ts";
import { buildSelector, type Selector } from "../selectors.ts";
import type { HandlerContext } from "./context.ts";

const BOOKMARK_INTERVAL_MS = 30_000;
const encoder = new TextEncoder();

/** What a watcher with a selector sees of one change: a move into its view is ADDED, out of it DELETED. */
export function viewOf(event: StoreEvent, select: Selector): WatchEventType | undefined {
  const now = select(event.object);
  if (event.type === "ADDED") return now ? "ADDED" : undefined;
  const before = event.prev ? select(event.prev) : now;
  if (event.type === "DELETED") return before ? "DELETED" : undefined;
  if (now && before) return "MODIFIED";
  if (now) return "ADDED";
  if (before) return "DELETED";
  return undefined;
}

export function handleWatch(h: HandlerContext): Response {
  const q = h.query;
  let select = buildSelector(h.r.kind, q.get("labelSelector") ?? undefined, q.get("fieldSelector") ?? undefined);
  if (h.info.name) {
    const name = h.info.name;
    const inner = select;
    select = (o) => o.metadata.name === name && inner(o);
  }
  const rvParam = q.get("resourceVersion");
  const from = rvParam && rvParam !== "0" ? Number(rvParam) : undefined;
  if (from !== undefined && (!Number.isInteger(from) || from < 0)) throw badRequest(`invalid resource version: ${rvParam}`);
  const timeout = Number(q.get("timeoutSeconds") ?? "0");
  const bookmarks = q.get("allowWatchBookmarks") === "true";
  const asTable = wantsTable(h.c.req.header("accept"));
  const { storage } = h.deps;

  // Stored objects are serialised once per revision (objectJson), however many watchers see them.
  const render = (obj: KubeObject): string =>
    asTable
      ? JSON.stringify(toTable(h.r, [obj], { now: h.deps.now(), includeObject: "Metadata", resourceVersion: obj.metadata.resourceVersion }))
      : objectJson(obj);

  let handle: WatchHandle | undefined;
  let timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  let bookmarkTimer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  const stop = () => {
    if (closed) return;
    closed = true;
    handle?.close();
    clearTimeout(timeoutTimer);
    clearInterval(bookmarkTimer);
  };

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      /** Sends one event; `json` is the object's JSON text. */
      const send = (type: WatchEventType, json: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(`{"type":"${type}","object":${json}}\n`));
        } catch {
          stop();
        }
      };
      const finish = () => {
        if (closed) return;
        stop();
        try {
          controller.close();
        } catch {}
      };
      // Bun holds the end of the response headers until the body's first bytes, and kubectl's
      // rollout status waits for those headers: a leading newline (JSON whitespace) sends them now.
      controller.enqueue(encoder.encode("\n"));
      let revision = from;
      if (revision === undefined) {
        // No resourceVersion: the current state as synthetic ADDED events, then changes after it.
        const listed = storage.list(h.r, h.info.namespace);
        for (const e of listed.items) if (select(e.object)) send("ADDED", render(e.object));
        revision = listed.revision;
      }
      try {
        handle = storage.watch(h.r, h.info.namespace, revision, (events) => {
          for (const e of events) {
            const type = viewOf(e, select);
            if (type) send(type, render(e.object));
          }
        });
      } catch (err) {
        if (!(err instanceof StatusError && isResourceExpired(err))) throw err;
        send("ERROR", JSON.stringify(err.status));
        finish();
        return;
      }
      if (timeout > 0) timeoutTimer = setTimeout(finish, timeout * 1000);
      if (bookmarks) {
        bookmarkTimer = setInterval(() => {
          send("BOOKMARK", JSON.stringify({ kind: h.r.kind, apiVersion: groupVersion(h.r), metadata: { resourceVersion: String(storage.revision) } }));
        }, BOOKMARK_INTERVAL_MS);
      }
      h.c.req.raw.signal.addEventListener("abort", finish);
    },
    cancel: stop,
  });
  return new Response(stream, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-cache" } });
}
