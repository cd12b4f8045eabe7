// A module that is missing, or older than any file it is built from, is refused with an error
// naming the command that builds it; the check follows the entry's own imports, so an edit of
// another module's sources leaves it alone. Each case lays out a small tree in a temp dir.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BUILD_COMMAND, requireWasmModule, WasmModuleError, wasmModuleState, wasmSources } from "./modules.ts";

const FILES: Record<string, string> = {
  "wasm/build.ts": "// flags\n",
  "wasm/assembly/scheduler.ts": 'import { H } from "../../src/scheduler/layout";\nimport { f } from "./_filters";\n',
  "wasm/assembly/_filters.ts": 'import { H } from "../../src/scheduler/layout";\n',
  "wasm/assembly/route-table.ts": 'import { S } from "../../src/proxy/route-layout";\n',
  "src/scheduler/layout.ts": "export const H = 0;\n",
  "src/proxy/route-layout.ts": "export const S = 0;\n",
  "build/wasm/scheduler.wasm": "\0asm",
};

let roots: string[] = [];
afterEach(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots = [];
});

/** A tree where every file is 100 s old and the module 50 s old, but `newer` files, touched now. */
function tree(opts: { newer?: string[]; without?: string[] } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "kubun-wasm-"));
  roots.push(root);
  const now = Date.now() / 1000;
  for (const [path, text] of Object.entries(FILES)) {
    if (opts.without?.includes(path)) continue;
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    const age = opts.newer?.includes(path) ? 0 : path.endsWith(".wasm") ? 50 : 100;
    utimesSync(file, now - age, now - age);
  }
  return root;
}

test("the sources of a module are its entry, what it imports, and the build script", () => {
  const root = tree();
  const rel = (f: string) => f.slice(root.length + 1);
  expect(wasmSources("scheduler", root).map(rel).sort()).toEqual(["src/scheduler/layout.ts", "wasm/assembly/_filters.ts", "wasm/assembly/scheduler.ts", "wasm/build.ts"]);
});

test.each([
  ["its entry", "wasm/assembly/scheduler.ts"],
  ["a shared include", "wasm/assembly/_filters.ts"],
  ["the layout it shares with src/", "src/scheduler/layout.ts"],
  ["the build script (compiler flags)", "wasm/build.ts"],
])("a module older than %s is stale", (_what, source) => {
  const root = tree({ newer: [source] });
  expect(wasmModuleState("scheduler", root)).toEqual({ state: "stale", newerSource: join(root, source) });
  expect(() => requireWasmModule("scheduler", root)).toThrow(`build/wasm/scheduler.wasm is older than ${source}, one of its sources: build it with \`${BUILD_COMMAND}\``);
});

test("a module newer than all its sources loads, even when another module's sources changed", () => {
  const root = tree({ newer: ["wasm/assembly/route-table.ts", "src/proxy/route-layout.ts"] });
  expect(requireWasmModule("scheduler", root)).toBe(join(root, "build/wasm/scheduler.wasm"));
});

test("a missing module is an error naming the build command", () => {
  const root = tree({ without: ["build/wasm/scheduler.wasm"] });
  let err: unknown;
  try {
    requireWasmModule("scheduler", root);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WasmModuleError);
  expect((err as Error).message).toBe(`the WebAssembly module build/wasm/scheduler.wasm is missing: build it with \`bun run build:wasm\` (in ${root})`);
});
