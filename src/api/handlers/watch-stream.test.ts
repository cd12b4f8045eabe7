import { describe, expect, test } from "bun:test";
import { DEFAULT_WATCH_BUDGET } from "../limits.ts";
import { WatchStream } from "./watch-stream.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe("WatchStream", () => {
  test("events queued while the client was not reading reach it as one chunk, in order", async () => {
    const stream = new WatchStream(DEFAULT_WATCH_BUDGET, () => {}, () => {});
    for (const line of ["a\n", "b\n", "c\n"]) stream.push(bytes(line));
    const reader = stream.body.getReader();
    const first = await reader.read();
    expect(text(first.value)).toBe("a\nb\nc\n");
    expect(stream.queued).toBe(0);
    // A lone event goes as it is; the end closes the body once it is read.
    stream.push(bytes("d\n"));
    stream.end();
    expect(text((await reader.read()).value)).toBe("d\n");
    expect((await reader.read()).done).toBe(true);
  });

  test("events pushed while the client waits arrive in order, each batch whole", async () => {
    const stream = new WatchStream(DEFAULT_WATCH_BUDGET, () => {}, () => {});
    const reader = stream.body.getReader();
    const read = reader.read();
    // One publish's events are pushed in one synchronous run: the waiting read gets them together.
    stream.push(bytes("1\n"));
    stream.push(bytes("2\n"));
    expect(text((await read).value)).toBe("1\n2\n");
  });

  test("a backlog past the handoff size comes in several chunks, nothing lost", async () => {
    const stream = new WatchStream(DEFAULT_WATCH_BUDGET, () => {}, () => {});
    const line = "x".repeat(1023) + "\n";
    for (let i = 0; i < 200; i++) stream.push(bytes(line));
    stream.end();
    const reader = stream.body.getReader();
    let got = "";
    let chunks = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      got += text(value);
      chunks++;
    }
    expect(got).toBe(line.repeat(200));
    expect(chunks).toBeGreaterThan(1);
  });
});
