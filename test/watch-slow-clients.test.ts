// Slow or stuck watchers can't exhaust the server's memory: 30 watches of ConfigMaps whose
// clients read at ~2 KB/s, while 2,000 ConfigMaps of 20 KB are created, used to grow a server
// from ~100 MB to 1.2 GB. Now each watcher's unread events are bounded and a watcher past the
// bound is closed (its client resumes or re-lists), while a client that keeps up gets every event.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect, type TLSSocket } from "node:tls";
import { startTestServer } from "./helpers/server.ts";
import { waitFor } from "./helpers/wait.ts";
import { ndjson } from "../src/client/ndjson.ts";

const SLOW_WATCHERS = 30;
const CONFIGMAPS = 2000;
const VALUE = "x".repeat(20 * 1024);

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/**
 * A watch over a raw TLS socket that reads about `bytesPerSecond` until `catchUp()`, then reads
 * as fast as it can; `ended` resolves once the server has ended the response (the chunked body's
 * last chunk) or the connection.
 */
function slowWatch(url: URL, token: string, ca: string, bytesPerSecond: number) {
  let received = 0;
  let fast = false;
  let tail = "";
  let socket!: TLSSocket;
  const ended = new Promise<void>((resolve) => {
    socket = connect({ host: url.hostname, port: Number(url.port), ca, servername: "localhost" }, () => {
      socket.write(`GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      tail = (tail + chunk.toString("latin1")).slice(-16);
      if (tail.endsWith("\r\n0\r\n\r\n")) return resolve();
      if (fast) return;
      // Take the next chunk only after the time it "costs" at this rate.
      socket.pause();
      setTimeout(() => socket.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    socket.on("close", () => resolve());
    socket.on("error", () => {});
  });
  return {
    ended,
    received: () => received,
    catchUp() {
      fast = true;
      socket.resume();
    },
    destroy: () => socket.destroy(),
  };
}

test("slow watchers are closed and the server's memory stays bounded; a fast watcher gets every event", async () => {
  // The server in this process, so its memory is this process's; watchers left behind for 5 s are dropped.
  const server = await startTestServer({ limits: { watch: { maxQueuedBytes: 8 * 1024 * 1024, behindBytes: 256 * 1024, maxBehindMs: 5000 } } });
  const token = server.adminToken;
  const ca = server.ca.cert;
  const url = new URL(server.url);
  const api = (path: string, init: RequestInit = {}) => server.api(path, init);
  const pid = process.pid;
  try {
    await api("/api/v1/namespaces/default/configmaps"); // warm
    const baseline = rssMiB(pid);

    // The fast watcher reads everything as it comes.
    const fast = await api("/api/v1/namespaces/default/configmaps?watch=1");
    const seen = new Set<string>();
    const reading = (async () => {
      for await (const event of ndjson(fast.body as ReadableStream<Uint8Array>)) {
        seen.add((event as { object: { metadata: { name: string } } }).object.metadata.name);
        if (seen.size === CONFIGMAPS) return;
      }
    })();

    const slow = Array.from({ length: SLOW_WATCHERS }, () => slowWatch(url, token, ca, 2048));
    await Bun.sleep(300);

    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
    const names = Array.from({ length: CONFIGMAPS }, (_, i) => `cm-${i}`);
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(
        names.slice(i, i + 16).map(async (name) => {
          const res = await api("/api/v1/namespaces/default/configmaps", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ metadata: { name }, data: { v: VALUE } }),
          });
          expect(res.status).toBe(201);
          await res.body?.cancel();
        }),
      );
    }
    await waitFor("the fast watcher to see every ConfigMap", async () => seen.size === CONFIGMAPS, { timeoutMs: 60_000 });
    await reading;
    // Every slow watcher was cut off long before it could have read its 40 MB.
    clearInterval(sampler);
    // Each slow watcher's watch was ended by the server: reading all it was sent, it finds the
    // end of the response, having got far less than the 40 MB of events.
    for (const w of slow) w.catchUp();
    await Promise.all(slow.map((w) => w.ended));
    for (const w of slow) expect(w.received()).toBeLessThan((CONFIGMAPS * VALUE.length) / 2);
    for (const w of slow) w.destroy();
    // Unbounded, 30 watchers would hold ~1.2 GB; bounded, their queues share the events' bytes.
    expect(peak - baseline).toBeLessThan(300);
    console.log(`slow watchers: baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB`);
  } finally {
    await server.close();
  }
}, 180_000);
