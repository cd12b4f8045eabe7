// Loads build/wasm/scheduler.wasm (built from wasm/assembly/scheduler.ts by `bun run build:wasm`).
// Compiled once per process; every scorer gets its own instance and memory.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface SchedulerExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  schedule(ctx: number): number;
}

export const SCHEDULER_WASM = resolve(import.meta.dir, "../../build/wasm/scheduler.wasm");

let compiled: WebAssembly.Module | undefined;

export function instantiateScheduler(path = SCHEDULER_WASM): SchedulerExports {
  if (!compiled || path !== SCHEDULER_WASM) {
    if (!existsSync(path)) {
      throw new Error(`scheduler wasm module not found at ${path}: run bun run build:wasm`);
    }
    const mod = new WebAssembly.Module(readFileSync(path));
    if (path !== SCHEDULER_WASM) return instance(mod);
    compiled = mod;
  }
  return instance(compiled);
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
