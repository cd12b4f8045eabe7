// watch: newline-delimited watch events, headers sent at once (kubectl's rollout status waits
// for them), resuming exactly after a resourceVersion, 410 as an ERROR event when compacted.
import { toTable } from "../../apis/index.ts";
import { badRequest, isResourceExpired, StatusError } from "../../apis/errors.ts";
import type { KubeObject, WatchEventType } from "../../apis/meta.ts";
import { groupVersion } from "../../apis/registry.ts";
import { objectJson, type StoreEvent, type WatchHandle } from "../../store/index.ts";
import { converterFor } from "../../apis/conversion.ts";
import { wantsTable } from "../content.ts";
import { buildSelector, type Selector } from "../selectors.ts";
import { requestUser } from "../auth.ts";
import { DEFAULT_WATCH_BUDGET } from "../limits.ts";
import { servedJson, type HandlerContext } from "./context.ts";
import { WatchStream } from "./watch-stream.ts";

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

// One event's bytes for every watcher that sends it: a change is published to all its watchers
// in one turn of the event loop, so it is encoded once and the queues of slow watchers hold that
// one copy. The cache is let go after the turn: kept for the stored object's whole life, it held
// an encoded copy of every current object beside its parsed form (170 MB at 50,000 pods).
let eventBytes = new WeakMap<KubeObject, { type: WatchEventType; bytes: Uint8Array }>();
let forgetScheduled = false;

const eventHeads = new Map<WatchEventType, Uint8Array>();

/**
 * `{"type":TYPE,"object":JSON}\n` in UTF-8, written straight into its buffer: encoding the
 * concatenated line would first make the line as a string (a copy of the object's JSON, garbage
 * once encoded: 3-4 KB for every pod event).
 */
export function eventLineBytes(type: WatchEventType, json: string): Uint8Array {
  let head = eventHeads.get(type);
  if (!head) eventHeads.set(type, (head = encoder.encode(`{"type":"${type}","object":`)));
  const size = Buffer.byteLength(json, "utf8");
  // A Buffer of its own (not the pool's: the queues of slow watchers hold it) written at an
  // offset: no view of the buffer and no {read, written} result made per event, as encodeInto takes.
  const bytes = Buffer.allocUnsafeSlow(head.length + size + 2);
  bytes.set(head);
  const written = bytes.write(json, head.length, size, "utf8");
  if (written !== size) throw new Error(`watch event: ${written} of ${size} bytes encoded`);
  bytes[bytes.length - 2] = 0x7d; // }
  bytes[bytes.length - 1] = 0x0a; // \n
  return bytes;
}

function sharedEventBytes(type: WatchEventType, obj: KubeObject): Uint8Array {
  const cached = eventBytes.get(obj);
  if (cached?.type === type) return cached.bytes;
  const bytes = eventLineBytes(type, objectJson(obj));
  eventBytes.set(obj, { type, bytes });
  if (!forgetScheduled) {
    forgetScheduled = true;
    setImmediate(() => {
      eventBytes = new WeakMap();
      forgetScheduled = false;
    });
  }
  return bytes;
}

export function handleWatch(h: HandlerContext): Response {
  const q = h.query;
  let select = buildSelector(h.r.kind, q.get("labelSelector") ?? undefined, q.get("fieldSelector") ?? undefined, h.r.custom?.selectableFields);
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

  const converted = converterFor(h.r) !== undefined;
  const eventLine = (type: WatchEventType, json: string) => encoder.encode(`{"type":"${type}","object":${json}}\n`);
  // Stored objects are serialised once per revision, and their events encoded once, however many
  // watchers see them; a Table row is the watcher's own (its age column moves with the clock).
  const objectEvent = (type: WatchEventType, obj: KubeObject): Uint8Array =>
    asTable
      ? eventLine(type, JSON.stringify(toTable(h.r, [obj], { now: h.deps.now(), includeObject: "Metadata", resourceVersion: obj.metadata.resourceVersion })))
      : converted || (h.r.custom && obj.apiVersion !== groupVersion(h.r))
        ? eventLine(type, servedJson(h.r, obj))
        : sharedEventBytes(type, obj);

  let handle: WatchHandle | undefined;
  let timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  let bookmarkTimer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    handle?.close();
    handle = undefined;
    clearTimeout(timeoutTimer);
    clearInterval(bookmarkTimer);
  };
  const stream = new WatchStream(
    h.deps.watchBudget ?? DEFAULT_WATCH_BUDGET,
    (why) => {
      stop();
      const user = requestUser(h.c)?.name ?? "anonymous";
      console.warn(`kubun: closed a watch of ${h.r.resource}${h.info.namespace ? ` in ${h.info.namespace}` : ""} by ${user}: ${why}`);
    },
    stop,
  );
  const finish = () => {
    stop();
    stream.end();
  };

  // Bun holds the end of the response headers until the body's first bytes, and kubectl's
  // rollout status waits for those headers: a leading newline (JSON whitespace) sends them now.
  stream.push(encoder.encode("\n"));
  let revision = from;
  if (revision === undefined) {
    // No resourceVersion: the current state as synthetic ADDED events, then changes after it.
    const listed = storage.list(h.r, h.info.namespace);
    for (const e of listed.items) if (select(e.object)) stream.push(objectEvent("ADDED", e.object));
    revision = listed.revision;
  }
  try {
    handle = storage.watch(h.r, h.info.namespace, revision, (events) => {
      for (const e of events) {
        const type = viewOf(e, select);
        if (type) stream.push(objectEvent(type, e.object));
      }
    });
  } catch (err) {
    if (!(err instanceof StatusError && isResourceExpired(err))) throw err;
    stream.push(eventLine("ERROR", JSON.stringify(err.status)));
    finish();
  }
  // Events replayed while subscribing may already have put the watcher past its budget.
  if (stream.done) stop();
  if (handle) {
    if (timeout > 0) timeoutTimer = setTimeout(finish, timeout * 1000);
    if (bookmarks) {
      bookmarkTimer = setInterval(() => {
        stream.push(eventLine("BOOKMARK", JSON.stringify({ kind: h.r.kind, apiVersion: groupVersion(h.r), metadata: { resourceVersion: String(storage.revision) } })));
      }, BOOKMARK_INTERVAL_MS);
    }
    h.c.req.raw.signal.addEventListener("abort", finish);
  }
  return new Response(stream.body, { status: 200, headers: { "content-type": "application/json", "cache-control": "no-cache" } });
}
