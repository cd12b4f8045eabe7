// bench:api's closed-loop clients: `clients` concurrent loops of POSTs over Bun's fetch, each
// sending its next request when its last is answered (a client of kubun, of the bare HTTPS
// server and of etcd alike), and the warm-up every side gets before it is timed.
import type { RoundTrip } from "./api-tail.ts";

export interface LoadResult {
  perS: number;
  ok: number;
  failed: number;
  /** The first few failures, as "status body". */
  failures: string[];
}

/**
 * `clients` concurrent loops sending `count` POSTs made by `request(i)`; a request counts when
 * `expected` is its status. `sent`, when given, records when request i was sent.
 */
export async function load(clients: number, count: number, request: (i: number) => { url: string; body: string }, headers: Record<string, string>, ca: string, expected: number, sent?: Map<string, number>, nameOf?: (i: number) => string, acked?: Map<string, number>, trips?: RoundTrip[]): Promise<LoadResult> {
  let next = 0;
  let ok = 0;
  const failures: string[] = [];
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const i = next++;
        const { url, body } = request(i);
        const sentAt = performance.now();
        if (sent && nameOf) sent.set(nameOf(i), sentAt);
        try {
          const res = await fetch(url, { method: "POST", body, headers, tls: { ca } } as RequestInit);
          const text = await res.text();
          if (acked && nameOf) acked.set(nameOf(i), performance.now());
          if (trips) trips.push({ sent: performance.timeOrigin + sentAt, acked: performance.timeOrigin + performance.now(), revision: Number(/"resourceVersion":"(\d+)"/.exec(text)?.[1]) });
          if (res.status === expected) ok++;
          else {
            failed++;
            if (failures.length < 5) failures.push(`${res.status} ${text.slice(0, 200)}`);
          }
        } catch (err) {
          failed++;
          if (failures.length < 5) failures.push(String(err));
        }
      }
    }),
  );
  return { perS: ok / ((performance.now() - t0) / 1000), ok, failed, failures };
}

/**
 * `seconds` of the same requests from `clients` clients before a timed run; how many were made.
 * Every side gets it (kubun, the bare HTTPS server, etcd), so each is timed in its steady state.
 */
export async function warmUpFor(clients: number, seconds: number, what: string, request: (i: number) => { url: string; body: string }, headers: Record<string, string>, ca: string, expected: number): Promise<number> {
  const stopAt = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < stopAt) {
        const { url, body } = request(next++);
        const res = await fetch(url, { method: "POST", body, headers, tls: { ca } } as RequestInit);
        const text = await res.text();
        if (res.status !== expected) throw new Error(`${what} warm-up: ${res.status} ${text.slice(0, 200)}`);
      }
    }),
  );
  return next;
}
