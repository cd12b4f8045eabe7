// `kubun controller-manager --kubeconfig F`: the controller manager as its own process, an API
// client like any other, running until SIGTERM or SIGINT.
import { KubeClient } from "../client/index.ts";
import { createControllerContext } from "../client/index.ts";
import { startControllerManager, type ControllerManagerOptions } from "./manager.ts";

export interface ControllerManagerCommandOptions extends ControllerManagerOptions {
  kubeconfig: string;
  context?: string;
  /** Ends the run instead of a signal (tests). */
  signal?: AbortSignal;
}

export async function runControllerManagerCommand(opts: ControllerManagerCommandOptions): Promise<void> {
  const client = KubeClient.fromKubeconfig(opts.kubeconfig, { context: opts.context, userAgent: "kubun-controller-manager" });
  const ctx = createControllerContext(client);
  const manager = startControllerManager(ctx, opts);
  await untilStopped(opts.signal);
  await manager.stop();
  await ctx.informers.stop();
  await ctx.flushEvents();
  await client.close();
}

function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGTERM", done);
      process.off("SIGINT", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    if (signal?.aborted) return resolve();
    process.on("SIGTERM", done);
    process.on("SIGINT", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
