// Per-stage timers of the API's write path (authn, authz, decode, defaults, validation,
// managedFields, encode, commit, watch fan-out, response), for finding where a create's CPU goes
// (bench:api --stages, bench/README.md). Off unless the server runs with KUBUN_STAGE_TIMERS set
// to a file path: every call site then pays one branch on a constant, nothing else. When on, a
// SIGUSR2 writes the totals since the last SIGUSR2 (milliseconds and counts per stage, and the
// process's CPU time) to that file as JSON and starts counting afresh.
//
// It lives in the store because the store's stages (commit, fan-out) are timed too and the store
// imports nothing from the API; the API imports it from here.
import { writeFileSync } from "node:fs";

const target = process.env.KUBUN_STAGE_TIMERS;
/** Whether stages are timed in this process. */
export const STAGE_TIMERS = !!target;
/**
 * KUBUN_STAGE_BYTES=1 (with KUBUN_STAGE_TIMERS): stages count the JS heap's growth instead of
 * milliseconds. Exact only with JSC's collector off (BUN_JSC_useGC=0: bench/write-garbage.ts),
 * where the heap's size grows by every byte allocated: what each stage allocates.
 */
const BYTES = STAGE_TIMERS && process.env.KUBUN_STAGE_BYTES === "1";
const clock = BYTES ? () => process.memoryUsage().heapUsed : () => performance.now();

/**
 * Whether, beside the totals, each create and each group commit is traced (KUBUN_TAIL_TRACE=1,
 * with KUBUN_STAGE_TIMERS): when a create's handler started and answered, what revision it got,
 * each group's size and when it was queued, committed and published, and every event-loop turn
 * that held the loop for 3 ms or more (a 1 ms timer's lateness) with the process's CPU time over
 * it. bench:api --tail matches them with its clients' round trips to say what the slow creates
 * waited on (bench/README.md). Each costs a branch on a constant when off.
 */
export const TAIL_TRACE = STAGE_TIMERS && process.env.KUBUN_TAIL_TRACE === "1";

/** Flat records (numbers), appended in trace mode and written with the totals. */
let requests: number[] = [];
let groups: number[] = [];
let stalls: number[] = [];

/** A create answered: its handler's start (performance.now()) and its revision. */
export function traceRequest(start: number, revision: number): void {
  if (TAIL_TRACE) requests.push(start, performance.now(), revision);
}

/** A group commit: when its first write was queued, its commit started and ended, its fan-out ended. */
export function traceGroup(queued: number, commitStart: number, commitEnd: number, fanoutEnd: number, firstRevision: number, size: number): void {
  if (TAIL_TRACE) groups.push(queued, commitStart, commitEnd, fanoutEnd, firstRevision, size);
}

if (TAIL_TRACE) {
  let last = performance.now();
  let cpuLast = process.cpuUsage();
  setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage();
    // With the process's CPU time over the turn (every thread's): near the turn's length when
    // the loop was running (JavaScript, a collection), near none when the process had no core.
    if (now - last >= 3) stalls.push(last, now, (cpu.user + cpu.system - cpuLast.user - cpuLast.system) / 1000);
    last = now;
    cpuLast = cpu;
  }, 1).unref();
}

const totals = new Map<string, { ms: number; count: number }>();
let cpuSince = STAGE_TIMERS ? process.cpuUsage() : undefined;

/** A stage's start time, or 0 when stages are not timed. */
export function stageStart(): number {
  return STAGE_TIMERS ? clock() : 0;
}

/** Adds the time since `start` (from stageStart) to `stage`. */
export function stageEnd(stage: string, start: number): void {
  if (!STAGE_TIMERS) return;
  const ms = clock() - start;
  const t = totals.get(stage);
  if (t) {
    t.ms += ms;
    t.count++;
  } else totals.set(stage, { ms, count: 1 });
}

/** The totals since the last reset, and the process CPU time (user + system) over the same span. */
export function stageTotals(): { stages: Record<string, { ms: number; count: number }>; cpuMs: number; trace?: Record<string, unknown> } {
  const cpu = process.cpuUsage(cpuSince);
  const out = { stages: Object.fromEntries(totals), cpuMs: (cpu.user + cpu.system) / 1000 };
  return TAIL_TRACE ? { ...out, trace: { requests, groups, stalls, origin: performance.timeOrigin } } : out;
}

function resetStages(): void {
  totals.clear();
  requests = [];
  groups = [];
  stalls = [];
  cpuSince = process.cpuUsage();
}

if (target) {
  process.on("SIGUSR2", () => {
    writeFileSync(target, JSON.stringify(stageTotals()));
    resetStages();
  });
}
