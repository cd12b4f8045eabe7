import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_JSC_OPTIONS, agentEnvironment } from "./jsc-options.ts";

describe("agent JSC options", () => {
  test("missing options are added, the rest of the environment kept", () => {
    const env = agentEnvironment({ PATH: "/bin", UNSET: undefined });
    expect(env).toEqual({ PATH: "/bin", ...AGENT_JSC_OPTIONS });
  });

  test("an option the user set wins, and nothing is left to do", () => {
    const mine = Object.fromEntries(Object.keys(AGENT_JSC_OPTIONS).map((k) => [k, "1"]));
    expect(agentEnvironment({ PATH: "/bin", ...mine })).toBeUndefined();
    const [first, ...rest] = Object.keys(AGENT_JSC_OPTIONS);
    expect(agentEnvironment({ [first!]: "1" })).toEqual({ [first!]: "1", ...Object.fromEntries(rest.map((k) => [k, AGENT_JSC_OPTIONS[k]!])) });
  });

  test("the process starts again under them: same pid, same arguments, the options in force", async () => {
    const script = `
      import { reexecWithAgentOptions } from ${JSON.stringify(`${import.meta.dir}/jsc-options.ts`)};
      reexecWithAgentOptions();
      const options = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("BUN_JSC_")));
      console.log(JSON.stringify({ pid: process.pid, options, args: process.argv.slice(2) }));
    `;
    const env: Record<string, string | undefined> = { ...process.env, KUBUN_AGENT_REEXEC: undefined };
    for (const k of Object.keys(AGENT_JSC_OPTIONS)) env[k] = undefined;
    const dir = mkdtempSync(join(tmpdir(), "kubun-jsc-"));
    const file = join(dir, "main.ts");
    writeFileSync(file, script);
    const proc = Bun.spawn([process.execPath, file, "a", "b"], { env, stdout: "pipe", stderr: "inherit" });
    const lines = (await new Response(proc.stdout).text()).trim().split("\n");
    expect(await proc.exited).toBe(0);
    rmSync(dir, { recursive: true, force: true });
    // One line: the first run never got past execve.
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ pid: proc.pid, options: AGENT_JSC_OPTIONS, args: ["a", "b"] }]);
  });

  test("KUBUN_AGENT_REEXEC=0 leaves the process as it is", async () => {
    const script = `
      import { reexecWithAgentOptions } from ${JSON.stringify(`${import.meta.dir}/jsc-options.ts`)};
      reexecWithAgentOptions();
      console.log(Object.keys(process.env).filter((k) => k.startsWith("BUN_JSC_")).join(",") || "unset");
    `;
    const env: Record<string, string | undefined> = { ...process.env, KUBUN_AGENT_REEXEC: "0" };
    for (const k of Object.keys(AGENT_JSC_OPTIONS)) env[k] = undefined;
    const proc = Bun.spawn([process.execPath, "-e", script], { env, stdout: "pipe", stderr: "inherit" });
    expect((await new Response(proc.stdout).text()).trim()).toBe("unset");
    expect(await proc.exited).toBe(0);
  });
});
