import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerStats } from "../cri/index.ts";
import { cgroupUsage, containerUsage, nodeCpuSeconds, nodeWorkingSetBytes } from "./stats.ts";

test("node CPU: busy ticks of /proc/stat's first line in seconds (idle and iowait left out)", () => {
  expect(nodeCpuSeconds("cpu  100 20 30 5000 40 5 5 10 0 0\ncpu0 1 2 3 4\n")).toBe(1.7);
});

test("node memory: MemTotal less MemAvailable", () => {
  expect(nodeWorkingSetBytes("MemTotal:       8000 kB\nMemFree:  1000 kB\nMemAvailable:   3000 kB\n")).toBe(5000 * 1024);
});

const labels = { "io.kubernetes.container.name": "app", "io.kubernetes.pod.uid": "u" };

test("CRI stats become a sample: cumulative nanoseconds in seconds, the working set, the runtime's timestamp", () => {
  const s: ContainerStats = {
    attributes: { id: "c1", labels },
    cpu: { timestamp: "1700000000000000000", usage_core_nano_seconds: { value: "2500000000" } },
    memory: { timestamp: "1700000000000000000", working_set_bytes: { value: "4096" } },
  };
  expect(containerUsage(s, 0)).toEqual({ name: "app", id: "c1", timeMs: 1_700_000_000_000, cpuSeconds: 2.5, memoryWorkingSetBytes: 4096 });
});

test("what CRI leaves out comes from the cgroup files (v1: cpuacct.usage, memory less inactive file)", () => {
  const root = mkdtempSync(join(tmpdir(), "kubun-cgroup-"));
  try {
    mkdirSync(join(root, "cpuacct/k8s.io/c1"), { recursive: true });
    mkdirSync(join(root, "memory/k8s.io/c1"), { recursive: true });
    writeFileSync(join(root, "cpuacct/k8s.io/c1/cpuacct.usage"), "3000000000\n");
    writeFileSync(join(root, "memory/k8s.io/c1/memory.usage_in_bytes"), "10000\n");
    writeFileSync(join(root, "memory/k8s.io/c1/memory.stat"), "cache 1\ntotal_inactive_file 1000\n");
    expect(cgroupUsage("c1", root)).toEqual({ cpuSeconds: 3, memoryWorkingSetBytes: 9000 });
    expect(cgroupUsage("missing", root)).toBeUndefined();
    const s: ContainerStats = { attributes: { id: "c1", labels }, cpu: null, memory: null };
    expect(containerUsage(s, 42, (id) => cgroupUsage(id, root))).toEqual({ name: "app", id: "c1", timeMs: 42, cpuSeconds: 3, memoryWorkingSetBytes: 9000 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
