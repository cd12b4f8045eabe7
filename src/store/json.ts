// The JSON text of stored objects, made once. Stored objects are never mutated, so the text the
// store writes to SQLite is also what every watch event, get and create answer sends.
import type { KubeObject } from "../apis/meta.ts";

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

export function objectJson(obj: KubeObject): string {
  let text = texts.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    texts.set(obj, text);
  }
  return text;
}

/** An object from its stored text, which stays its JSON (no second stringify when it is sent). */
export function parseStored(text: string): KubeObject {
  const obj = JSON.parse(text) as KubeObject;
  texts.set(obj, text);
  if (FREEZE) deepFreeze(obj);
  return obj;
}

/**
 * The form the store keeps of an object it is given: parsed back from its own JSON. What
 * admission built by spreading and cloning takes about a third more memory than what JSON.parse
 * builds (shared shapes, short strings interned), and the store keeps it for the object's life.
 */
export function storedForm(obj: KubeObject): KubeObject {
  return parseStored(JSON.stringify(obj));
}
