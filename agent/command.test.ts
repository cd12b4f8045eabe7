import { describe, expect, test } from "bun:test";
import { parseAgentArgs } from "./command.ts";

const base = ["--server", "https://s:6443", "--token", "t"];

describe("kubun agent flags", () => {
  test("defaults: kubelet's image GC thresholds, pulls serialized, registry pause image", () => {
    const o = parseAgentArgs(base);
    expect(o.imageGC).toEqual({ highPercent: 85, lowPercent: 80 });
    expect(o.serializeImagePulls).toBeUndefined(); // the agent's default: true
    expect(o.sandboxImage).toBeUndefined(); // the agent's default: registry.k8s.io/pause:3.10
  });

  test("image flags", () => {
    const o = parseAgentArgs([...base, "--pause-image", "docker.io/local/pause:1", "--serialize-image-pulls=false", "--image-pull-deadline", "2m", "--registry-config", "/etc/kubun/registries.yaml", "--image-gc-high-threshold", "90", "--image-gc-low-threshold", "50"]);
    expect(o).toMatchObject({
      sandboxImage: "docker.io/local/pause:1",
      serializeImagePulls: false,
      imagePullDeadlineMs: 120_000,
      registryConfig: "/etc/kubun/registries.yaml",
      imageGC: { highPercent: 90, lowPercent: 50 },
    });
  });

  test.each([
    [["--serialize-image-pulls", "maybe"], "--serialize-image-pulls is true or false"],
    [["--image-gc-high-threshold", "101"], "--image-gc-high-threshold is a percentage"],
    [["--image-gc-high-threshold", "70", "--image-gc-low-threshold", "70"], "--image-gc-low-threshold (70) must be below --image-gc-high-threshold (70)"],
    [["--image-pull-deadline", "soon"], "invalid duration soon"],
  ])("refused: %j", (args, message) => {
    expect(() => parseAgentArgs([...base, ...args])).toThrow(message);
  });
});
