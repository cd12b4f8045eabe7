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
export function stageTotals(): { stages: Record<string, { ms: number; count: number }>; cpuMs: number } {
  const cpu = process.cpuUsage(cpuSince);
  return { stages: Object.fromEntries(totals), cpuMs: (cpu.user + cpu.system) / 1000 };
}

function resetStages(): void {
  totals.clear();
  cpuSince = process.cpuUsage();
}

if (target) {
  process.on("SIGUSR2", () => {
    writeFileSync(target, JSON.stringify(stageTotals()));
    resetStages();
  });
}
