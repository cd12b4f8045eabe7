import { expect, test } from "bun:test";
import { ndjson, ndjsonBatches } from "./ndjson.ts";

async function collect(chunks: (string | Uint8Array)[]): Promise<unknown[]> {
  const enc = new TextEncoder();
  async function* source() {
    for (const c of chunks) yield typeof c === "string" ? enc.encode(c) : c;
  }
  const out: unknown[] = [];
  for await (const v of ndjson(source())) out.push(v);
  return out;
}

const euro = new TextEncoder().encode('{"s":"€"}\n');

test.each([
  ["one value per chunk", ['{"a":1}\n', '{"a":2}\n'], [{ a: 1 }, { a: 2 }]],
  ["values cut mid-line", ['{"a"', ':1}\n{"a":', "2}\n"], [{ a: 1 }, { a: 2 }]],
  ["several values in one chunk", ['{"a":1}\n{"a":2}\n{"a":3}\n'], [{ a: 1 }, { a: 2 }, { a: 3 }]],
  ["blank lines skipped", ['\n{"a":1}\n\n'], [{ a: 1 }]],
  ["last value without newline", ['{"a":1}\n{"a":2}'], [{ a: 1 }, { a: 2 }]],
  ["a character cut between chunks", [euro.slice(0, 7), euro.slice(7)], [{ s: "€" }]],
  ["nothing", [], []],
])("%s", async (_name, chunks, want) => {
  expect(await collect(chunks)).toEqual(want);
});

test("a malformed line fails the stream", async () => {
  expect(collect(["{nope}\n"])).rejects.toThrow();
});

test("a chunk's complete lines come as one batch; a cut line waits for the next chunk", async () => {
  const enc = new TextEncoder();
  async function* source() {
    yield enc.encode('{"a":1}\n{"a":2}\n{"a"');
    yield enc.encode(":3}\n");
    yield enc.encode('{"a":4}');
  }
  const batches: unknown[][] = [];
  for await (const b of ndjsonBatches(source())) batches.push(b);
  expect(batches).toEqual([[{ a: 1 }, { a: 2 }], [{ a: 3 }], [{ a: 4 }]]);
});

test("the values before a malformed line are still delivered", async () => {
  const enc = new TextEncoder();
  async function* source() {
    yield enc.encode('{"a":1}\n{nope}\n{"a":3}\n');
  }
  const seen: unknown[] = [];
  const run = async () => {
    for await (const b of ndjsonBatches(source())) seen.push(...b);
  };
  await expect(run()).rejects.toThrow();
  expect(seen).toEqual([{ a: 1 }]);
});
