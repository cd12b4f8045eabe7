// The heap setting of heap-settings.ts is what the `kubun` command really starts with.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KUBUN_JSC_ENV, kubunJscAssignments, kubunJscScriptAssignments } from "./heap-settings.ts";

const ROOT = join(import.meta.dir, "..", "..");

test("package.json's kubun and up scripts and main.ts's shebang start bun with KUBUN_JSC_ENV", () => {
  const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
  expect(scripts.kubun).toBe(`${kubunJscScriptAssignments()} bun src/cli/main.ts`);
  expect(scripts.up).toContain(`&& ${kubunJscScriptAssignments()} bun src/cli/main.ts up`);
  const shebang = readFileSync(join(ROOT, "src", "cli", "main.ts"), "utf8").split("\n")[0];
  expect(shebang).toBe(`#!/usr/bin/env -S ${kubunJscAssignments()} bun`);
});

test("a process started as the kubun script starts has the setting (JSC accepts it)", async () => {
  const proc = Bun.spawn([process.execPath, "-e", "console.log(process.env.BUN_JSC_forceRAMSize)"], {
    env: { ...process.env, ...KUBUN_JSC_ENV },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect((await new Response(proc.stdout).text()).trim()).toBe(KUBUN_JSC_ENV.BUN_JSC_forceRAMSize!);
  // An option JSC does not know makes bun refuse to start.
  expect(await proc.exited).toBe(0);
});

test("the scripts' form gives the setting, and keeps a value the user set (sh, as bun run and npm run use)", async () => {
  const run = async (env: Record<string, string>) => {
    const script = `${kubunJscScriptAssignments()} ${process.execPath} -e 'console.log(process.env.BUN_JSC_forceRAMSize)'`;
    const proc = Bun.spawn(["sh", "-c", script], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
    const out = (await new Response(proc.stdout).text()).trim();
    expect(await proc.exited).toBe(0);
    return out;
  };
  expect(await run({})).toBe(KUBUN_JSC_ENV.BUN_JSC_forceRAMSize!);
  expect(await run({ BUN_JSC_forceRAMSize: String(2 ** 29) })).toBe(String(2 ** 29));
});
