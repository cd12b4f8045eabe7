import { describe, expect, test } from "bun:test";
import { schedulerOptionsFromFlags } from "./cli-options.ts";
import { createWasmScorer } from "./wasm-scorer.ts";
import { makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";

describe("scheduler flags", () => {
  test("parse into scorer options; unset flags stay unset (the scorer's defaults apply)", () => {
    expect(schedulerOptionsFromFlags({})).toEqual({});
    expect(
      schedulerOptionsFromFlags({ scoring: "spread", "score-weights": "fit=3, nodeAffinity=0", "tie-break": "random", seed: "42" }),
    ).toEqual({ scoring: "spread", weights: { fit: 3, nodeAffinity: 0 }, tieBreak: "random", seed: 42 });
  });

  test.each([
    [{ scoring: "pack" }, "--scoring is binpack or spread"],
    [{ "score-weights": "fit" }, "the weight of fit is an integer 0..100"],
    [{ "score-weights": "fit=1.5" }, "the weight of fit is an integer 0..100"],
    [{ "score-weights": "fit=101" }, "the weight of fit is an integer 0..100"],
    [{ "score-weights": "speed=1" }, "names fit, balanced, nodeAffinity, taintToleration"],
    [{ "score-weights": "fit=1=2" }, "name=weight pairs"],
    [{ "tie-break": "last" }, "--tie-break is first or random"],
    [{ seed: "0" }, "--seed is an integer 1..4294967295"],
  ])("%p is refused: %s", (flags, message) => {
    expect(() => schedulerOptionsFromFlags(flags)).toThrow(message);
  });

  test("the weights reach the scorer: with affinity and balance weighed 0, bin packing decides", () => {
    const nodes = [makeNode("preferred", { labels: { disk: "ssd" } }), makeNode("fuller")];
    const pod = makePod({ cpu: 100, preferredTerms: [{ weight: 100, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } }] });
    const choose = (flags: Record<string, string>) => {
      const scorer = createWasmScorer(schedulerOptionsFromFlags(flags));
      for (const n of nodes) scorer.upsertNode(n);
      scorer.assume(makePod({ cpu: 2000 }), scorer.nodeIndex("fuller")!);
      return scorer.schedule(pod).node;
    };
    expect(choose({})).toBe("preferred");
    expect(choose({ "score-weights": "nodeAffinity=0,balanced=0" })).toBe("fuller");
    expect(choose({ "score-weights": "nodeAffinity=0,balanced=0", scoring: "spread" })).toBe("preferred");
  });
});
