// The code trimmer's timing: one trim once pokes stop for quietMs, none while they keep coming
// or after stop(); the trim itself (Bun.shrink) is what bench/podstart.ts measures.
import { describe, expect, test } from "bun:test";
import { codeTrimmer } from "./code-trim.ts";

describe("codeTrimmer", () => {
  test("trims once after the pokes go quiet", async () => {
    let n = 0;
    const t = codeTrimmer({ quietMs: 300, trim: () => n++ });
    t.poke();
    await Bun.sleep(5);
    t.poke();
    await Bun.sleep(5);
    t.poke();
    expect(n).toBe(0);
    await Bun.sleep(700);
    expect(n).toBe(1);
    expect(t.trims).toBe(1);
    await Bun.sleep(400);
    expect(n).toBe(1);
    t.poke();
    await Bun.sleep(700);
    expect(n).toBe(2);
  });

  test("pokes that keep coming hold the trim off", async () => {
    let n = 0;
    const t = codeTrimmer({ quietMs: 400, trim: () => n++ });
    for (let i = 0; i < 8; i++) {
      t.poke();
      await Bun.sleep(5);
    }
    expect(n).toBe(0);
    t.stop();
  });

  test("stop cancels a pending trim and ignores later pokes", async () => {
    let n = 0;
    const t = codeTrimmer({ quietMs: 20, trim: () => n++ });
    t.poke();
    t.stop();
    t.poke();
    await Bun.sleep(80);
    expect(n).toBe(0);
  });

  test("the default trim is Bun.shrink and leaves the process working", async () => {
    const t = codeTrimmer({ quietMs: 1 });
    t.poke();
    await Bun.sleep(50);
    expect(t.trims).toBe(1);
    // Code dropped by the trim is compiled again when it runs.
    expect([3, 1, 2].sort().join(",")).toBe("1,2,3");
  });
});
