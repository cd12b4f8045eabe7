// `kubun scheduler --kubeconfig F`: the scheduler on its own, an API client of any kubun (or
// Kubernetes) API server, built exactly as `kubun server` builds it in-process.
import { loadSchedulerModule } from "./wasm-loader.ts";
import { createControllerContext, KubeClient, type ControllerContext } from "../client/index.ts";
import { type RunningScheduler, type SchedulerOptions, startScheduler } from "./scheduler.ts";

export interface SchedulerCommandOptions extends SchedulerOptions {
  kubeconfig: string;
  context?: string;
  /** Resolves the command (stops the scheduler) when aborted; SIGTERM and SIGINT abort it too. */
  signal?: AbortSignal;
  /** Told once the informers have synced and scheduling runs. */
  onReady?: (scheduler: RunningScheduler) => void;
}

/** The ControllerContext of a standalone component: its own client, informers and recorder. */
export function standaloneContext(kubeconfig: string, opts: { context?: string; userAgent: string }): ControllerContext & { close(): Promise<void> } {
  const ctx = createControllerContext(KubeClient.fromKubeconfig(kubeconfig, opts));
  return {
    ...ctx,
    async close() {
      await ctx.informers.stop();
      await ctx.flushEvents();
      await ctx.client.close();
    },
  };
}

/** Runs the scheduler until SIGTERM/SIGINT (or `opts.signal`), then stops it cleanly. */
export async function runSchedulerCommand(opts: SchedulerCommandOptions): Promise<void> {
  loadSchedulerModule(); // a missing or stale module fails here, before the scheduler connects
  const ctx = standaloneContext(opts.kubeconfig, { context: opts.context, userAgent: "kubun-scheduler" });
  const scheduler = startScheduler(ctx, opts);
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    opts.signal?.addEventListener("abort", stop, { once: true });
    if (opts.signal?.aborted) stop();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  void scheduler.ready.then((ok) => ok && opts.onReady?.(scheduler));
  await stopped;
  await scheduler.stop();
  await ctx.close();
}
