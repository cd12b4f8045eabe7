// The JSON text of stored objects, made once. Stored objects are never mutated, so the text the
// store writes to SQLite is also what every watch event, get and create answer sends.
import type { KubeObject } from "../apis/meta.ts";

const texts = new WeakMap<object, string>();

export function objectJson(obj: KubeObject): string {
  let text = texts.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    texts.set(obj, text);
  }
  return text;
}
