// Builds every AssemblyScript entry wasm/assembly/<name>.ts into build/wasm/<name>.wasm with asc.
// Files in wasm/assembly/ starting with "_" are shared includes, not entries. Modules use the stub
// runtime: no GC, the TypeScript side lays out and owns the memory.
//
//   bun wasm/build.ts            build all entries
//   bun wasm/build.ts scheduler  build one entry
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const sourceDir = join(root, "wasm", "assembly");
const outDir = join(root, "build", "wasm");
const asc = join(root, "node_modules", ".bin", "asc");

/** Entry names (file names without .ts) found in wasm/assembly/. */
export function wasmEntries(): string[] {
  return readdirSync(sourceDir)
    .filter((f) => f.endsWith(".ts") && !f.startsWith("_") && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Path of the built module for an entry, e.g. build/wasm/scheduler.wasm. */
export function wasmPath(entry: string): string {
  return join(outDir, `${entry}.wasm`);
}

export function buildWasm(entry: string): void {
  const args = [
    join(sourceDir, `${entry}.ts`),
    "--outFile", wasmPath(entry),
    "--optimizeLevel", "3",
    "--shrinkLevel", "0",
    "--runtime", "stub",
    "--noAssert",
    "--initialMemory", "1",
  ];
  // Run asc's node script with whichever runtime runs us, so a machine with only Bun works.
  const proc = Bun.spawnSync([process.execPath, asc, ...args], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) {
    throw new Error(`asc failed for wasm/assembly/${entry}.ts:\n${proc.stderr.toString()}${proc.stdout.toString()}`);
  }
}

/** Newest modification time among the sources an entry depends on (conservatively: all of them). */
function sourcesMtime(): number {
  const files = readdirSync(sourceDir).map((f) => join(sourceDir, f));
  // The header layout is shared with src/scheduler; other modules may add their own here.
  files.push(join(root, "src", "scheduler", "layout.ts"), import.meta.path);
  return Math.max(...files.filter((f) => existsSync(f)).map((f) => statSync(f).mtimeMs));
}

/** Builds the entry when its .wasm is missing or older than the sources; returns its path. */
export function ensureWasmBuilt(entry: string): string {
  const out = wasmPath(entry);
  if (!existsSync(out) || statSync(out).mtimeMs < sourcesMtime()) buildWasm(entry);
  return out;
}

if (import.meta.main) {
  const wanted = process.argv.slice(2);
  const entries = wanted.length > 0 ? wanted : wasmEntries();
  for (const entry of entries) {
    const started = performance.now();
    buildWasm(entry);
    const size = statSync(wasmPath(entry)).size;
    console.log(`built ${wasmPath(entry)} (${size} bytes, ${Math.round(performance.now() - started)} ms)`);
  }
}
