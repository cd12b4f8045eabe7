// The JSON text of stored objects, made once. Stored objects are never mutated, so the text the
// store writes to SQLite is also what every watch event, get and create answer sends while the
// object is recent.
import type { KubeObject } from "../apis/meta.ts";
import { adoptUnchanged, type SubtreeTable } from "./subtrees.ts";

const texts = new WeakMap<object, string>();

/**
 * KUBUN_FREEZE_STORED=1 (set for every test run by test/preload.ts) deep-freezes what the store
 * keeps, so that any code writing into a stored object — a handler, or a controller through the
 * in-process informers, which share these objects — throws in the tests instead of silently
 * changing what the store and its watchers see.
 */
const FREEZE = process.env.KUBUN_FREEZE_STORED === "1";

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/**
 * The object's JSON: the text it was stored with while the object is recent (its event still in
 * the watch ring, where the same string is kept anyway), made anew for an older one. Keeping the
 * text of every stored object would hold the JSON of the whole cluster twice, once parsed.
 */
export function objectJson(obj: KubeObject): string {
  return texts.get(obj) ?? JSON.stringify(obj);
}

/**
 * The object is one the store made (its text is kept: a recent stored object), not a copy
 * decoded elsewhere: what the in-process informers get from recentEventLines, which needs no
 * looking up in the store again.
 */
export function madeByStore(obj: object): boolean {
  return texts.has(obj);
}

/** The object is no longer recent: its text need not be kept (objectJson makes it when asked). */
export function forgetJson(obj: KubeObject): void {
  texts.delete(obj);
}

/** An object from its stored text, which stays its JSON (no second stringify when it is sent). */
export function parseStored(text: string): KubeObject {
  const obj = JSON.parse(text) as KubeObject;
  texts.set(obj, text);
  if (FREEZE) deepFreeze(obj);
  return obj;
}

/**
 * parseStored for an object the store keeps as current state: its parts equal to those of
 * objects stored before (found in `parts`) are shared with them, and with `prev` (the key's
 * revision it replaces) its values equal to prev's. Not for passing copies
 * (replays): the table would only keep their parts alive longer.
 */
export function keepStored(text: string, parts: SubtreeTable, prev?: KubeObject): KubeObject {
  const parsed = JSON.parse(text) as KubeObject;
  const obj = prev ? parts.share(adoptUnchanged(parsed, prev), prev) : parts.share(parsed);
  texts.set(obj, text);
  if (FREEZE) deepFreeze(obj);
  return obj;
}

/**
 * The form the store keeps of an object it is given: parsed back from its own JSON. What
 * admission built by spreading and cloning takes about a third more memory than what JSON.parse
 * builds (shared shapes, short strings interned), and the store keeps it for the object's life;
 * its parts are shared with equal parts of other stored objects.
 */
export function storedForm(obj: KubeObject, parts: SubtreeTable, prev?: KubeObject): KubeObject {
  return keepStored(JSON.stringify(obj), parts, prev);
}

/**
 * The object as stored at `revision`: in its compact parsed form (above), its JSON made once.
 * `prev`, the key's current object when this is a new revision of it: the new one keeps prev's
 * values where they are unchanged (subtrees.ts's adoptUnchanged).
 */
export function withRevision(object: KubeObject, revision: number, parts: SubtreeTable | undefined, prev?: KubeObject): KubeObject {
  const versioned = { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
  // A cold resource's object is dropped once written and sent: nothing to share its parts with.
  return parts ? storedForm(versioned, parts, prev) : parseStored(JSON.stringify(versioned));
}
