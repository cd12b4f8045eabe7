// What a failed end-to-end run reports: its own pod watch (requests, events, how each ended), the
// server's count of bound pods, both processes' states and the tails of their stderr, and the
// temporary directory kept for a look.
import { KubeClient, resourceFor } from "../src/client/index.ts";
import { procState, stderrTail, type Proc } from "./processes.ts";

/** What the bench's own pod watch went through: for the report of a run that failed. */
export interface WatchLog {
  /** Watch requests made (more than one: the watch was resumed after it ended). */
  watches: number;
  /** Events received, of them MODIFIED events that bound a pod for the first time. */
  events: number;
  binds: number;
  /** How each watch ended, in order ("closed by the server …", "failed: …"). */
  ends: string[];
}


/**
 * Why a run failed, as far as the bench can tell: its own watch, the server's count of bound
 * pods (a list with fieldSelector spec.nodeName!=), both processes and their last stderr lines.
 */
export async function failureReport(why: string, f: { api?: KubeClient; server: Proc; scheduler?: Proc; watch: WatchLog; tmp: string }): Promise<string> {
  const w = f.watch;
  const lines = [
    why,
    `bench's pod watch: ${w.watches} watch request(s), ${w.events} events, ${w.binds} first bindings seen; ${w.ends.length ? `ended: ${w.ends.join("; ")}` : "still open"}`,
  ];
  if (f.api && f.server.proc.exitCode === null) {
    const pods = resourceFor("Pod");
    const count = async (fieldSelector?: string) => (await f.api!.list(pods, { namespace: "bench", fieldSelector })).items.length;
    const counted = await Promise.race([
      Promise.all([count(), count("spec.nodeName!=")]).then(([all, bound]) => `the server holds ${all} pods in bench, ${bound} of them bound (spec.nodeName set)`, (err) => `listing pods failed: ${err}`),
      Bun.sleep(15_000).then(() => "listing pods took over 15 s"),
    ]);
    lines.push(counted);
  }
  lines.push(`server: ${procState(f.server)}; scheduler: ${procState(f.scheduler)}`);
  for (const [name, p] of [["server", f.server], ["scheduler", f.scheduler]] as const) {
    if (p) lines.push(`--- last lines of the ${name}'s stderr (${p.stderrPath}) ---`, stderrTail(p, 30) || "(empty)");
  }
  lines.push(`--- kept the run's temporary directory: ${f.tmp} ---`);
  return lines.join("\n");
}
