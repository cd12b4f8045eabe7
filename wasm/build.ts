// Builds every AssemblyScript entry wasm/assembly/<name>.ts into build/wasm/<name>.wasm with asc.
// Files in wasm/assembly/ starting with "_" are shared includes, not entries. Modules use the stub
// runtime: no GC, the TypeScript side lays out and owns the memory.
//
//   bun wasm/build.ts             build all entries
//   bun wasm/build.ts scheduler   build one entry
//   bun wasm/build.ts --if-stale  build only the entries whose module is missing or stale
//                                 (agent/install.sh: a linked checkout may already be built)
import { statSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, wasmEntries, wasmModuleState, wasmPath } from "./modules.ts";

export { wasmEntries, wasmPath } from "./modules.ts";

const root = REPO_ROOT;
const sourceDir = join(root, "wasm", "assembly");
const asc = join(root, "node_modules", ".bin", "asc");

export function buildWasm(entry: string): void {
  const args = [
    join(sourceDir, `${entry}.ts`),
    "--outFile", wasmPath(entry),
    "--optimizeLevel", "3",
    "--shrinkLevel", "0",
    "--runtime", "stub",
    "--noAssert",
    // v128 lanes for the scan over the node columns (wasm/assembly/_scan.ts); Bun and Node run SIMD.
    "--enable", "simd",
    "--initialMemory", "1",
  ];
  // Run asc's node script with whichever runtime runs us, so a machine with only Bun works.
  const proc = Bun.spawnSync([process.execPath, asc, ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) {
    throw new Error(`asc failed for wasm/assembly/${entry}.ts:\n${proc.stderr.toString()}${proc.stdout.toString()}`);
  }
}

/**
 * Builds the entry when its module is missing or stale; returns its path. For tests and benches,
 * which may run right after an edit of wasm/assembly/; kubun's own processes only load modules
 * (wasm/modules.ts requireWasmModule).
 */
export function ensureWasmBuilt(entry: string): string {
  if (wasmModuleState(entry).state !== "fresh") buildWasm(entry);
  return wasmPath(entry);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const ifStale = args.includes("--if-stale");
  const wanted = args.filter((a) => a !== "--if-stale");
  const entries = wanted.length > 0 ? wanted : wasmEntries();
  for (const entry of entries) {
    if (ifStale && wasmModuleState(entry).state === "fresh") {
      console.log(`${wasmPath(entry)} is up to date`);
      continue;
    }
    const started = performance.now();
    buildWasm(entry);
    const size = statSync(wasmPath(entry)).size;
    console.log(`built ${wasmPath(entry)} (${size} bytes, ${Math.round(performance.now() - started)} ms)`);
  }
}
