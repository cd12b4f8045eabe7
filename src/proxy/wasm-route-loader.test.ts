// The proxy loads its module as the scheduler does: refused, with the build command, when it is
// missing or older than any of its sources, route-layout.ts included. Each case lays out a
// small checkout in a temp dir holding a copy of the real built module.
import { afterEach, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { WasmModuleError } from "../../wasm/modules.ts";
import { ensureRouteTableBuilt, loadRouteTableModule } from "./wasm-route-loader.ts";

const built = await ensureRouteTableBuilt();

const SOURCES: Record<string, string> = {
  "wasm/build.ts": "// flags\n",
  "wasm/assembly/route-table.ts": 'import { S_SLOTS } from "../../src/proxy/route-layout";\n',
  "src/proxy/route-layout.ts": "export const S_SLOTS = 0;\n",
};

let roots: string[] = [];
afterEach(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots = [];
});

/** A checkout whose sources are 100 s old and whose module 50 s old, but `newer` files, touched now. */
function checkout(opts: { newer?: string; withoutModule?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "kubun-route-wasm-"));
  roots.push(root);
  const now = Date.now() / 1000;
  const age = (path: string, seconds: number) => utimesSync(join(root, path), now - seconds, now - seconds);
  for (const [path, text] of Object.entries(SOURCES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    age(path, path === opts.newer ? 0 : 100);
  }
  if (!opts.withoutModule) {
    mkdirSync(join(root, "build", "wasm"), { recursive: true });
    copyFileSync(built, join(root, "build/wasm/route-table.wasm"));
    age("build/wasm/route-table.wasm", 50);
  }
  return root;
}

function loadError(root: string): Error {
  try {
    loadRouteTableModule(root);
  } catch (err) {
    return err as Error;
  }
  throw new Error("the module loaded");
}

test("a module newer than its sources loads", () => {
  const mod = loadRouteTableModule(checkout());
  expect(WebAssembly.Module.exports(mod).map((e) => e.name)).toContain("pick");
});

test.each([["wasm/assembly/route-table.ts"], ["src/proxy/route-layout.ts"], ["wasm/build.ts"]])("a module older than %s is refused", (source) => {
  const err = loadError(checkout({ newer: source }));
  expect(err).toBeInstanceOf(WasmModuleError);
  expect(err.message).toContain(`build/wasm/route-table.wasm is older than ${source}, one of its sources: build it with \`bun run build:wasm\``);
});

test("a missing module is refused with the build command", () => {
  const root = checkout({ withoutModule: true });
  expect(loadError(root).message).toBe(`the WebAssembly module build/wasm/route-table.wasm is missing: build it with \`bun run build:wasm\` (in ${root})`);
});
