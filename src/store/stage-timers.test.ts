import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "kubun-stages-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in a Bun of its own (the timers read their switch once, at load), with `env`. */
function run(script: string, env: Record<string, string>) {
  const module = join(import.meta.dir, "stage-timers.ts");
  const r = Bun.spawnSync([process.execPath, "-e", `const t = await import(${JSON.stringify(module)});\n${script}`], { env: { ...process.env, ...env } });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return r.stdout.toString().trim();
}

describe("stage timers", () => {
  test("off: nothing is counted", () => {
    const out = run(`const s = t.stageStart(); t.stageEnd("decode", s); console.log(JSON.stringify([t.STAGE_TIMERS, s, t.stageTotals().stages]));`, { KUBUN_STAGE_TIMERS: "" });
    expect(JSON.parse(out)).toEqual([false, 0, {}]);
  });

  test("on: SIGUSR2 writes the totals since the last one to the file, then counts afresh", () => {
    const file = join(dir, "st.json");
    run(
      `for (let i = 0; i < 3; i++) t.stageEnd("decode", t.stageStart());
       process.kill(process.pid, "SIGUSR2");
       await Bun.sleep(50);
       const first = await Bun.file(${JSON.stringify(file)}).text();
       t.stageEnd("commit", t.stageStart());
       process.kill(process.pid, "SIGUSR2");
       await Bun.sleep(50);
       await Bun.write(${JSON.stringify(`${file}.first`)}, first);`,
      { KUBUN_STAGE_TIMERS: file },
    );
    const first = JSON.parse(readFileSync(`${file}.first`, "utf8"));
    const second = JSON.parse(readFileSync(file, "utf8"));
    expect(Object.keys(first.stages)).toEqual(["decode"]);
    expect(first.stages.decode.count).toBe(3);
    expect(Object.keys(second.stages)).toEqual(["commit"]);
    expect(second.stages.commit.count).toBe(1);
    expect(typeof second.cpuMs).toBe("number");
  });

  test("tail trace: off without KUBUN_TAIL_TRACE; on, each create, group and long turn is in the totals, and counted afresh", () => {
    const off = run(`t.traceRequest(1, 2); console.log(JSON.stringify([t.TAIL_TRACE, "trace" in t.stageTotals()]));`, { KUBUN_STAGE_TIMERS: join(dir, "off.json"), KUBUN_TAIL_TRACE: "" });
    expect(JSON.parse(off)).toEqual([false, false]);
    const file = join(dir, "trace.json");
    run(
      `t.traceRequest(performance.now() - 2, 7);
       t.traceGroup(1, 2, 3, 4, 7, 1);
       await Bun.sleep(5);
       const until = performance.now() + 12;
       while (performance.now() < until) {} // holds the loop for 12 ms: a long turn
       await Bun.sleep(5);
       process.kill(process.pid, "SIGUSR2");
       await Bun.sleep(50);
       await Bun.write(${JSON.stringify(`${file}.first`)}, await Bun.file(${JSON.stringify(file)}).text());
       process.kill(process.pid, "SIGUSR2");
       await Bun.sleep(50);`,
      { KUBUN_STAGE_TIMERS: file, KUBUN_TAIL_TRACE: "1" },
    );
    const first = JSON.parse(readFileSync(`${file}.first`, "utf8")).trace;
    expect(first.requests.length).toBe(3);
    expect(first.requests[2]).toBe(7);
    expect(first.requests[1] - first.requests[0]).toBeGreaterThanOrEqual(2);
    expect(first.groups).toEqual([1, 2, 3, 4, 7, 1]);
    // Records of three: start, end, the process's CPU time; the busy loop's is one of them.
    expect(first.stalls.length % 3).toBe(0);
    const turns = Array.from({ length: first.stalls.length / 3 }, (_, i) => first.stalls.slice(i * 3, i * 3 + 3));
    expect(turns.every(([s, e]: number[]) => e! - s! >= 3)).toBe(true);
    expect(turns.some(([s, e, cpu]: number[]) => e! - s! >= 8 && cpu! > 0)).toBe(true);
    expect(typeof first.origin).toBe("number");
    const second = JSON.parse(readFileSync(file, "utf8")).trace;
    expect(second.requests).toEqual([]);
    expect(second.groups).toEqual([]);
  });
});
