// bench:api --tail: what the slow creates of the 64-client burst waited on. The server traces
// (KUBUN_TAIL_TRACE, src/store/stage-timers.ts) when each create's handler started and answered
// and its revision, each group commit (queued, committed, published, size) and every event-loop
// turn that held the loop 3 ms or more (and the process's CPU time over it, which tells a turn
// that ran from one that waited for a core); JSC logs its collections (BUN_JSC_logGC) to a file. Each
// client round trip is matched with its create by revision, and the round trips are split into
// bands (by percentile) with the mean of what each band's creates spent where, so the tail's
// cause shows beside the median's (bench/README.md, "What the slow creates wait on").
import { readFileSync } from "node:fs";
import { jscCollections } from "./processes.ts";

export interface Trace {
  requests: number[];
  groups: number[];
  stalls: number[];
  /** The server's performance.timeOrigin: its performance.now() + this is wall-clock ms. */
  origin: number;
}

/** One client round trip: sent and answered (wall-clock ms), the revision its create got. */
export interface RoundTrip {
  sent: number;
  acked: number;
  revision: number;
}

interface Group {
  queued: number;
  start: number;
  end: number;
  published: number;
  first: number;
  size: number;
}

/** Time of [a0, a1] inside any of `spans` (sorted by start, not overlapping). */
function overlap(a0: number, a1: number, spans: { s: number; e: number }[], from: number): number {
  let t = 0;
  for (let i = from; i < spans.length && spans[i]!.s < a1; i++) t += Math.max(0, Math.min(a1, spans[i]!.e) - Math.max(a0, spans[i]!.s));
  return t;
}

/** First index of `spans` whose end is after `t` (binary search; spans sorted by start, not overlapping). */
function firstEndingAfter(spans: { s: number; e: number }[], t: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.e <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** JSC's collections in the log's text: count by kind, and their pauses (ms). */
export function gcSummary(log: string): Record<string, number> {
  const gc = jscCollections(log);
  const pauses = gc?.pausesMs ?? [];
  const sum = pauses.reduce((a, b) => a + b, 0);
  return {
    eden_collections: gc ? gc.collections - gc.full : 0,
    full_collections: gc?.full ?? 0,
    pause_total_ms: Number(sum.toFixed(1)),
    pause_max_ms: Number((pauses.at(-1) ?? 0).toFixed(2)),
    pause_p99_ms: Number((pauses[Math.floor(pauses.length * 0.99)] ?? 0).toFixed(2)),
    cycle_max_ms: Number((gc?.cycleMaxMs ?? 0).toFixed(2)),
  };
}

/** The part of a GC log file written since `offset` (its size when the burst began). */
export function gcLogSince(file: string, offset: number): string {
  return readFileSync(file, "utf8").slice(offset);
}

/** Per band of round trips (by percentile): means of where the time went, in ms. */
export function tailBreakdown(trace: Trace, trips: RoundTrip[]): Record<string, Record<string, number>> {
  const o = trace.origin;
  const byRevision = new Map<number, { start: number; end: number }>();
  for (let i = 0; i < trace.requests.length; i += 3) byRevision.set(trace.requests[i + 2]!, { start: trace.requests[i]! + o, end: trace.requests[i + 1]! + o });
  const groups: Group[] = [];
  for (let i = 0; i < trace.groups.length; i += 6) {
    const [queued, start, end, published, first, size] = trace.groups.slice(i, i + 6) as [number, number, number, number, number, number];
    groups.push({ queued: queued + o, start: start + o, end: end + o, published: published + o, first, size });
  }
  const groupOf = (rev: number): Group | undefined => {
    let lo = 0;
    let hi = groups.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const g = groups[mid]!;
      if (rev < g.first) hi = mid - 1;
      else if (rev >= g.first + g.size) lo = mid + 1;
      else return g;
    }
    return undefined;
  };
  const commits = groups.map((g) => ({ s: g.start, e: g.end }));
  // Long turns that held no commit: a collection, or much JavaScript in one turn.
  const otherStalls: { s: number; e: number }[] = [];
  // Of those, the ones in which the process used under half a core: it was waiting for one.
  const coreless: { s: number; e: number }[] = [];
  for (let i = 0; i < trace.stalls.length; i += 3) {
    const s = trace.stalls[i]! + o;
    const e = trace.stalls[i + 1]! + o;
    const inCommits = overlap(s, e, commits, firstEndingAfter(commits, s));
    if (e - s - inCommits < 3) continue;
    otherStalls.push({ s, e });
    if (trace.stalls[i + 2]! < 0.5 * (e - s)) coreless.push({ s, e });
  }
  const rows = trips
    .map((t) => ({ t, req: byRevision.get(t.revision), g: groupOf(t.revision) }))
    .filter((r) => r.req && r.g)
    .sort((a, b) => a.t.acked - a.t.sent - (b.t.acked - b.t.sent));
  const bands: [string, number, number][] = [["p0-50", 0, 0.5], ["p50-90", 0.5, 0.9], ["p90-99", 0.9, 0.99], ["p99-100", 0.99, 1]];
  const out: Record<string, Record<string, number>> = {};
  for (const [name, from, to] of bands) {
    const slice = rows.slice(Math.floor(rows.length * from), Math.floor(rows.length * to));
    const n = slice.length || 1;
    const mean = (f: (r: (typeof rows)[number]) => number) => Number((slice.reduce((a, r) => a + f(r), 0) / n).toFixed(2));
    out[name] = {
      creates: slice.length,
      round_trip_ms: mean((r) => r.t.acked - r.t.sent),
      before_handler_ms: mean((r) => r.req!.start - r.t.sent),
      handler_to_commit_ms: mean((r) => r.g!.start - r.req!.start),
      own_commit_ms: mean((r) => r.g!.end - r.g!.start),
      own_group_size: mean((r) => r.g!.size),
      publish_ms: mean((r) => r.g!.published - r.g!.end),
      published_to_answer_ms: mean((r) => r.req!.end - r.g!.published),
      after_handler_ms: mean((r) => r.t.acked - r.req!.end),
      window_in_commits_ms: mean((r) => overlap(r.t.sent, r.t.acked, commits, firstEndingAfter(commits, r.t.sent))),
      window_in_other_stalls_ms: mean((r) => overlap(r.t.sent, r.t.acked, otherStalls, firstEndingAfter(otherStalls, r.t.sent))),
      of_which_without_a_core_ms: mean((r) => overlap(r.t.sent, r.t.acked, coreless, firstEndingAfter(coreless, r.t.sent))),
    };
  }
  const sizes = groups.map((g) => g.size).sort((a, b) => a - b);
  const commitMs = groups.map((g) => g.end - g.start).sort((a, b) => a - b);
  out.groups = {
    count: groups.length,
    size_p50: sizes[Math.floor(sizes.length / 2)] ?? 0,
    size_max: sizes.at(-1) ?? 0,
    commit_p50_ms: Number((commitMs[Math.floor(commitMs.length / 2)] ?? 0).toFixed(2)),
    commit_p99_ms: Number((commitMs[Math.floor(commitMs.length * 0.99)] ?? 0).toFixed(2)),
    commit_max_ms: Number((commitMs.at(-1) ?? 0).toFixed(2)),
    other_stalls: otherStalls.length,
    other_stalls_ms: Number(otherStalls.reduce((a, s) => a + s.e - s.s, 0).toFixed(1)),
    without_a_core: coreless.length,
    without_a_core_ms: Number(coreless.reduce((a, s) => a + s.e - s.s, 0).toFixed(1)),
    matched_creates: rows.length,
  };
  return out;
}

/** The p-th percentile of the round trips, in ms (2 decimals). */
export function roundTrip(trips: RoundTrip[], p: number): number {
  const ms = trips.map((t) => t.acked - t.sent).sort((a, b) => a - b);
  return Number((ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))] ?? NaN).toFixed(2));
}

/** The breakdown as bench:api prints it. */
export function tailLines(tail: Record<string, Record<string, number>>): string[] {
  return [
    `  what the burst's creates waited on, by round-trip band (ms, means; bench/api-tail.ts):`,
    ...Object.entries(tail).map(([band, row]) => `    ${band.padEnd(8)} ${Object.entries(row).map(([k, v]) => `${k}=${v}`).join(" ")}`),
  ];
}
