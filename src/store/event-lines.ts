// The watch events of recent writes, recognised by their text: `kubun server`'s own informers
// receive every event through the API (as any client does) and then keep the store's copy of its
// object (server.ts's storedCopy). Decoding each event into a copy only to drop it was most of
// the garbage of the bind phase (a pod's create, binding and status each reach the informers);
// a line that is exactly the watch handler's encoding of a recent write's stored JSON text is
// that write's event, so it is taken as such without being parsed.
import type { KubeObject } from "../apis/meta.ts";
import { objectJson } from "./json.ts";
import type { ServerStore } from "./types.ts";

const EVENT_HEADS = (["ADDED", "MODIFIED"] as const).map((type) => ({ type, head: `{"type":"${type}","object":` }));
const RESOURCE_VERSION = '"resourceVersion":"';

/**
 * ADDED and MODIFIED lines taken as a recent write's event, and those parsed because their
 * revision had left the watch ring (or was not the stored text): how well the ring's bound
 * (watch-hub.ts) covers the informers' lag. bench:memory reports them.
 */
export const recentEventCounts = { reused: 0, parsed: 0 };

const isTextOf = (line: string, start: number, text: string) => line.length === start + text.length + 1 && line.endsWith("}") && line.startsWith(text, start);

/**
 * A watch line's event when the line is, byte for byte, `{"type":T,"object":TEXT}` where TEXT
 * is the stored JSON of a recent write (what src/api/handlers/watch.ts sends for it); undefined
 * for anything else (a converted version, a Table, an older revision, a DELETED or BOOKMARK
 * event), which the client then parses as before. Undefined for a store that cannot tell.
 */
export function recentEventLines(store: ServerStore): ((line: string) => { type: "ADDED" | "MODIFIED"; object: KubeObject } | undefined) | undefined {
  if (!store.recentObject) return undefined;
  const recent = store.recentObject.bind(store);
  return (line) => {
    const e = EVENT_HEADS.find((e) => line.startsWith(e.head));
    if (!e) return undefined;
    const start = e.head.length;
    // The first resourceVersion in the stored text is its object's; if this text is another
    // one, the comparison below tells.
    const at = line.indexOf(RESOURCE_VERSION, start);
    if (at < 0) return undefined;
    const from = at + RESOURCE_VERSION.length;
    const revision = Number(line.slice(from, line.indexOf('"', from)));
    const object = Number.isSafeInteger(revision) && revision > 0 ? recent(revision) : undefined;
    const exact = object !== undefined && isTextOf(line, start, objectJson(object));
    if (exact) recentEventCounts.reused++;
    else recentEventCounts.parsed++;
    return exact ? { type: e.type, object } : undefined;
  };
}
