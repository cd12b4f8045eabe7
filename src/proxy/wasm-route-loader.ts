// Loads build/wasm/route-table.wasm (built from wasm/assembly/route-table.ts by `bun run
// build:wasm`). Compiled once per process; every routing table gets its own instance and memory.
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";

export interface RouteTableExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  pick(rec: number, client: number, now: number): number;
  liveAffinity(rec: number, now: number): number;
  rehash(rec: number, to: number, capacity: number, now: number): void;
}

export const ROUTE_TABLE_WASM = resolve(import.meta.dir, "../../build/wasm/route-table.wasm");

let compiled: WebAssembly.Module | undefined;

export function instantiateRouteTable(path = ROUTE_TABLE_WASM): RouteTableExports {
  if (path === ROUTE_TABLE_WASM && compiled) return instance(compiled);
  if (!existsSync(path)) throw new Error(`route table wasm module not found at ${path}: run bun run build:wasm`);
  const mod = new WebAssembly.Module(readFileSync(path));
  if (path === ROUTE_TABLE_WASM) compiled = mod;
  return instance(mod);
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
 * Builds the module when missing or stale (tests, bench). wasm/build.ts only watches
 * wasm/assembly/ and the scheduler layout, so the layout shared from src/proxy is checked here.
 */
export async function ensureRouteTableBuilt(): Promise<string> {
  const { buildWasm, ensureWasmBuilt } = await import("../../wasm/build.ts");
  const out = ensureWasmBuilt("route-table");
  const layout = resolve(import.meta.dir, "route-layout.ts");
  if (statSync(layout).mtimeMs > statSync(out).mtimeMs) buildWasm("route-table");
  return out;
}
