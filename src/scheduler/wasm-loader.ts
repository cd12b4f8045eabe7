// Loads build/wasm/scheduler.wasm (built from wasm/assembly/scheduler.ts by `bun run build:wasm`).
// Compiled once per process; every scorer gets its own instance and memory. The scheduler never
// compiles AssemblyScript itself: a missing or stale module is a WasmModuleError naming the command.
import { existsSync, readFileSync } from "node:fs";
import { requireWasmModule, wasmPath } from "../../wasm/modules.ts";

/**
 * What the scorer calls, from the module or from another implementation over the same memory
 * (the TypeScript twin, ts-twin.ts): schedule(header) applies the pods assumed or forgotten since
 * the last call, then picks a node; flush(header) only applies them (before a node changes).
 */
export interface SchedulerCore {
  schedule(ctx: number): number;
  flush(ctx: number): void;
}

export interface SchedulerExports extends SchedulerCore {
  memory: WebAssembly.Memory;
  heapBase(): number;
}

export const SCHEDULER_WASM = wasmPath("scheduler");

let compiled: WebAssembly.Module | undefined;

/**
 * The built module, compiled once per process. Processes that schedule call it at start, so a
 * missing or stale build stops them before they serve anything rather than at the first pod.
 */
export function loadSchedulerModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(requireWasmModule("scheduler")));
  return compiled;
}

/** An instance of the built module, or of another build at `path` (tests). */
export function instantiateScheduler(path = SCHEDULER_WASM): SchedulerExports {
  if (path === SCHEDULER_WASM) return instance(loadSchedulerModule());
  if (!existsSync(path)) throw new Error(`scheduler wasm module not found at ${path}: run bun run build:wasm`);
  return instance(new WebAssembly.Module(readFileSync(path)));
}

function instance(mod: WebAssembly.Module): SchedulerExports {
  const inst = new WebAssembly.Instance(mod, {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`scheduler wasm aborted at ${line}:${column}`);
      },
    },
  });
  return inst.exports as unknown as SchedulerExports;
}
