// Loads build/wasm/route-table.wasm (built from wasm/assembly/route-table.ts by `bun run
// build:wasm`). Compiled once per process; every routing table gets its own instance and memory.
// The proxy never compiles AssemblyScript itself: a module that is missing, or older than one of
// its sources (its entry, route-layout.ts, the build flags), is a WasmModuleError naming the command,
// as the scheduler's is; running an old build against a newer layout would misroute silently.
import { existsSync, readFileSync } from "node:fs";
import { REPO_ROOT, requireWasmModule, wasmPath } from "../../wasm/modules.ts";

export interface RouteTableExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  pick(rec: number, client: number, now: number): number;
  liveAffinity(rec: number, now: number): number;
  rehash(rec: number, to: number, capacity: number, now: number): void;
}

export const ROUTE_TABLE_WASM = wasmPath("route-table");

let compiled: WebAssembly.Module | undefined;

/**
 * The built module, compiled once per process. The agent calls it at start, so a missing or
 * stale build stops it before it registers its node rather than when the proxy starts.
 * `root` is another checkout's (tests); only the repository's own module is kept.
 */
export function loadRouteTableModule(root = REPO_ROOT): WebAssembly.Module {
  if (root !== REPO_ROOT) return new WebAssembly.Module(readFileSync(requireWasmModule("route-table", root)));
  compiled ??= new WebAssembly.Module(readFileSync(requireWasmModule("route-table")));
  return compiled;
}

/** An instance of the built module, or of another build at `path` (tests). */
export function instantiateRouteTable(path = ROUTE_TABLE_WASM): RouteTableExports {
  if (path === ROUTE_TABLE_WASM) return instance(loadRouteTableModule());
  if (!existsSync(path)) throw new Error(`route table wasm module not found at ${path}: run bun run build:wasm`);
  return instance(new WebAssembly.Module(readFileSync(path)));
}

function instance(mod: WebAssembly.Module): RouteTableExports {
  const inst = new WebAssembly.Instance(mod, {
    env: {
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`route table wasm aborted at ${line}:${column}`);
      },
    },
  });
  return inst.exports as unknown as RouteTableExports;
}

/**
 * Builds the module when missing or stale (tests, bench). Its sources include route-layout.ts,
 * which wasm/modules.ts finds by following the entry's imports.
 */
export async function ensureRouteTableBuilt(): Promise<string> {
  const { ensureWasmBuilt } = await import("../../wasm/build.ts");
  return ensureWasmBuilt("route-table");
}
