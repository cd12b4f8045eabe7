// A watch event's line is written into its buffer piece by piece (eventLineBytes): the bytes must
// be those of the line encoded whole, for any text JSON.stringify can make.
import { expect, test } from "bun:test";
import { eventLineBytes } from "./watch.ts";

test("an event line's bytes are the UTF-8 of the whole line", () => {
  const texts = [
    "{}",
    JSON.stringify({ metadata: { name: "web", resourceVersion: "12" }, data: { a: "plain ASCII" } }),
    JSON.stringify({ data: { latin1: "é ü ß ÿ", bmp: "日本語 ☃", astral: "😀 𝄞", controls: "\u0000\u001f\u007f\u0080", edges: "\u07ff\u0800\uffff" } }),
    JSON.stringify({ lone: "\ud800 and \udfff" }), // JSON.stringify escapes lone surrogates
  ];
  for (const type of ["ADDED", "MODIFIED", "DELETED"] as const) {
    for (const json of texts) {
      expect(eventLineBytes(type, json)).toEqual(new TextEncoder().encode(`{"type":"${type}","object":${json}}\n`));
      expect(JSON.parse(new TextDecoder().decode(eventLineBytes(type, json)))).toEqual({ type, object: JSON.parse(json) });
    }
  }
});
