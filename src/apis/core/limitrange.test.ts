// LimitRange defaulting and validation, and the LimitRanger's pod defaults and limits.
import { describe, expect, test } from "bun:test";
import type { Causes } from "../field.ts";
import { defaultLimitRange, validateLimitRange, type LimitRange, type LimitRangeItem } from "./limitrange.ts";
import { applyLimitDefaults, limitViolations } from "./limitranger.ts";
import type { Pod } from "./pod.ts";

const range = (...limits: LimitRangeItem[]): LimitRange => ({ metadata: { name: "lr" }, spec: { limits } });

test("container defaults: default from max, defaultRequest from default, else min", () => {
  const lr = range({ type: "Container", max: { cpu: "2", memory: "1Gi" }, min: { memory: "64Mi" }, default: { memory: "512Mi" } });
  defaultLimitRange(lr);
  expect(lr.spec!.limits![0]).toMatchObject({ default: { cpu: "2", memory: "512Mi" }, defaultRequest: { cpu: "2", memory: "512Mi" } });
  const minOnly = range({ type: "Container", min: { cpu: "100m" } });
  defaultLimitRange(minOnly);
  expect(minOnly.spec!.limits![0]!.defaultRequest).toEqual({ cpu: "100m" });
});

describe("validateLimitRange", () => {
  const check = (lr: unknown) => {
    const errs: Causes = [];
    validateLimitRange(errs, lr as Record<string, unknown>);
    return errs.map((e) => `${e.field}: ${e.message}`);
  };
  test.each([
    ["valid", range({ type: "Container", min: { cpu: "100m" }, defaultRequest: { cpu: "200m" }, default: { cpu: "500m" }, max: { cpu: "1" } }), []],
    ["min above max", range({ type: "Container", min: { cpu: "2" }, max: { cpu: "1" } }), ["spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1"]],
    ["default above max", range({ type: "Container", default: { cpu: "2" }, max: { cpu: "1" } }), ["spec.limits[0].default[cpu]: Invalid value: \"2\": default value 2 is greater than max value 1"]],
    [
      "defaultRequest above default",
      range({ type: "Container", default: { cpu: "1" }, defaultRequest: { cpu: "2" } }),
      ["spec.limits[0].defaultRequest[cpu]: Invalid value: \"2\": default request value 2 is greater than default limit value 1"],
    ],
    ["ratio below 1", range({ type: "Container", maxLimitRequestRatio: { cpu: "500m" } }), ["spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: \"500m\": ratio 500m is less than 1"]],
    ["defaults on a Pod item", range({ type: "Pod", default: { cpu: "1" } } as LimitRangeItem), ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]],
  ])("%s", (_, lr, want) => {
    expect(check(lr).map((m) => m.replace(/^(\S+): Invalid value: "([^"]*)": /, '$1: Invalid value: "$2": '))).toEqual(want as string[]);
  });
  test("a claim item takes storage min/max only, and at least one of them", () => {
    expect(check({ spec: { limits: [{ type: "PersistentVolumeClaim", min: { storage: "1Gi" }, max: { storage: "10Gi" } }] } })).toEqual([]);
    expect(check({ spec: { limits: [{ type: "PersistentVolumeClaim" }] } })).toEqual(["spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided"]);
    const errs = check({ spec: { limits: [{ type: "PersistentVolumeClaim", max: { storage: "1Gi", cpu: "1" }, default: { storage: "1Gi" } }] } });
    expect(errs).toContain('spec.limits[0].max[cpu]: Invalid value: "cpu": must be a standard limit type or extended resource');
    expect(errs).toContain("spec.limits[0].default: Forbidden: may not be specified when `type` is 'PersistentVolumeClaim' (kubun applies only min and max to claims)");
    expect(check({ spec: { limits: [{ type: "Container", max: { storage: "1Gi" } }] } })).toEqual(['spec.limits[0].max[storage]: Invalid value: "storage": must be a standard limit type or extended resource']);
  });
  test("unknown types, resources and quantities are refused", () => {
    const errs = check({ spec: { limits: [{ type: "Volume" }, { type: "Container", max: { gpu: "1", cpu: "lots" } }] } });
    expect(errs.length).toBe(3);
    expect(errs.join("\n")).toContain("spec.limits[0].type");
    expect(errs.join("\n")).toContain("spec.limits[1].max[gpu]");
    expect(errs.join("\n")).toContain("spec.limits[1].max[cpu]");
  });
});

const pod = (resources?: object): Pod => ({ metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "i", resources }] } }) as unknown as Pod;

test.each([
  ["fills what is missing", undefined, { requests: { cpu: "250m" }, limits: { cpu: "500m" } }, "LimitRanger plugin set: cpu request for container c; cpu limit for container c"],
  ["keeps what is set", { requests: { cpu: "100m" }, limits: { cpu: "1" } }, { requests: { cpu: "100m" }, limits: { cpu: "1" } }, undefined],
])("applyLimitDefaults %s", (_, resources, want, note) => {
  const p = pod(resources);
  expect(applyLimitDefaults(p, [range({ type: "Container", default: { cpu: "500m" }, defaultRequest: { cpu: "250m" } })])).toBe(note);
  expect((p.spec as { containers: { resources: unknown }[] }).containers[0]!.resources).toEqual(want);
});

test.each([
  ["under max", { type: "Container", max: { cpu: "1" } }, { limits: { cpu: "500m" } }, []],
  ["over max", { type: "Container", max: { cpu: "1" } }, { limits: { cpu: "2" }, requests: { cpu: "2" } }, ["maximum cpu usage per Container is 1, but limit is 2"]],
  ["no limit", { type: "Container", max: { cpu: "1" } }, {}, ["maximum cpu usage per Container is 1.  No limit is specified"]],
  ["under min", { type: "Container", min: { memory: "64Mi" } }, { requests: { memory: "32Mi" } }, ["minimum memory usage per Container is 64Mi, but request is 32Mi"]],
  ["ratio", { type: "Container", maxLimitRequestRatio: { cpu: "2" } }, { requests: { cpu: "100m" }, limits: { cpu: "1" } }, ["cpu max limit to request ratio per Container is 2, but provided ratio is 10.000000"]],
  ["pod max", { type: "Pod", max: { cpu: "1" } }, { limits: { cpu: "2" } }, ["maximum cpu usage per Pod is 1, but limit is 2"]],
] as const)("limitViolations: %s", (_, item, resources, want) => {
  expect(limitViolations(pod(resources), [range(item as LimitRangeItem)])).toEqual([...want]);
});
