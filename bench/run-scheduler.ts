// The scheduler as a process of its own for bench/scheduler-e2e.ts: the same code path as
// `kubun scheduler --kubeconfig F`. Prints "scheduler ready" once its informers have synced,
// and its counters as JSON when it stops (SIGTERM).
//   bun bench/run-scheduler.ts --kubeconfig F [--scoring binpack|spread]
import { parseArgs } from "node:util";
import { runSchedulerCommand } from "../src/scheduler/command.ts";
import type { RunningScheduler } from "../src/scheduler/scheduler.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { kubeconfig: { type: "string" }, scoring: { type: "string", default: "binpack" } },
});
if (!values.kubeconfig) throw new Error("--kubeconfig is required");
if (values.scoring !== "binpack" && values.scoring !== "spread") throw new Error("--scoring must be binpack or spread");

let running: RunningScheduler | undefined;
await runSchedulerCommand({
  kubeconfig: values.kubeconfig,
  scoring: values.scoring,
  onReady: (s) => {
    running = s;
    console.log("scheduler ready");
  },
});
console.log(JSON.stringify({ stats: running?.stats ?? null }));
// No process.exit: the process ends by itself once the scheduler has stopped, and only then does
// bun write the CPU profile that `bench/scheduler-e2e.ts --profile` asks for.
