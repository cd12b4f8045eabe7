// Where each WebAssembly module lives and whether it is up to date with its sources. Processes
// that run kubun (server, scheduler, agent) only load modules: building them is the job of
// `bun run build:wasm` (wasm/build.ts), which `prepare` runs before `up` and the test suite. A
// missing or stale module is a WasmModuleError naming that command, never a compile at start.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export const BUILD_COMMAND = "bun run build:wasm";

/** The repository root: wasm/assembly/ holds the sources, build/wasm/ the modules. */
export const REPO_ROOT = resolve(import.meta.dir, "..");

/** Entry names (file names without .ts) in wasm/assembly/; files starting with "_" are shared includes. */
export function wasmEntries(root = REPO_ROOT): string[] {
  return readdirSync(join(root, "wasm", "assembly"))
    .filter((f) => f.endsWith(".ts") && !f.startsWith("_") && !f.endsWith(".d.ts"))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Path of the built module for an entry, e.g. build/wasm/scheduler.wasm. */
export function wasmPath(entry: string, root = REPO_ROOT): string {
  return join(root, "build", "wasm", `${entry}.wasm`);
}

const RELATIVE_IMPORT = /\bfrom\s+"(\.{1,2}\/[^"]+)"/g;

/**
 * The files a module is built from: its entry, every file it imports relatively (the shared
 * includes, and the layout files in src/ whose offsets both sides use), and wasm/build.ts, which
 * holds the compiler flags.
 */
export function wasmSources(entry: string, root = REPO_ROOT): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(RELATIVE_IMPORT)) {
      const target = resolve(dirname(file), m[1]!);
      visit(target.endsWith(".ts") ? target : `${target}.ts`);
    }
  };
  visit(join(root, "wasm", "assembly", `${entry}.ts`));
  const build = join(root, "wasm", "build.ts");
  if (existsSync(build)) seen.add(build);
  return [...seen];
}

export type WasmModuleState = { state: "fresh" } | { state: "missing" } | { state: "stale"; newerSource: string };

/** Whether the built module exists and is at least as new as every one of its sources. */
export function wasmModuleState(entry: string, root = REPO_ROOT): WasmModuleState {
  const out = wasmPath(entry, root);
  if (!existsSync(out)) return { state: "missing" };
  const built = statSync(out).mtimeMs;
  const newer = wasmSources(entry, root).find((f) => statSync(f).mtimeMs > built);
  return newer ? { state: "stale", newerSource: newer } : { state: "fresh" };
}

/** A module that cannot be loaded as it is; the message says what to run. */
export class WasmModuleError extends Error {
  constructor(
    readonly entry: string,
    readonly state: Exclude<WasmModuleState, { state: "fresh" }>,
    root = REPO_ROOT,
  ) {
    const module = relative(root, wasmPath(entry, root));
    const why = state.state === "missing" ? "is missing" : `is older than ${relative(root, state.newerSource)}, one of its sources`;
    super(`the WebAssembly module ${module} ${why}: build it with \`${BUILD_COMMAND}\` (in ${root})`);
    this.name = "WasmModuleError";
  }
}

/** The path of an entry's module, or a WasmModuleError when it is missing or stale. */
export function requireWasmModule(entry: string, root = REPO_ROOT): string {
  const state = wasmModuleState(entry, root);
  if (state.state !== "fresh") throw new WasmModuleError(entry, state, root);
  return wasmPath(entry, root);
}
