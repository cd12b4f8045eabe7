import { describe, expect, test } from "bun:test";
import type { ConfigMap, Pod, PodCondition, Secret } from "../../src/apis/index.ts";
import type { ContainerStatus } from "../cri/index.ts";
import { Backoff } from "./backoff.ts";
import { linuxResources } from "./container-config.ts";
import { ContainerConfigError, containerEnv, expandVars, type ObjectSource } from "./env.ts";
import { sandboxConfig } from "./sandbox-config.ts";
import { nsToTime, podStatus, type ContainerView } from "./status.ts";

const pod = (spec: Partial<Pod["spec"]> = {}): Pod => ({
  metadata: { name: "web", namespace: "ns1", uid: "u1", labels: { app: "web" } },
  spec: { nodeName: "n1", containers: [{ name: "c", image: "local/busybox:1" }], ...spec },
});

const source: ObjectSource = {
  configMap: async (_ns, name) => (name === "cm" ? ({ metadata: { name }, data: { k: "v" } } as ConfigMap) : null),
  secret: async (_ns, name) => (name === "s" ? ({ metadata: { name }, data: { p: Buffer.from("pw").toString("base64") } } as Secret) : null),
};

describe("env", () => {
  test("valueFrom, envFrom and $(VAR) expansion", async () => {
    const p = pod();
    const env = await containerEnv(
      p,
      {
        name: "c",
        envFrom: [{ configMapRef: { name: "cm" }, prefix: "CM_" }],
        env: [
          { name: "A", value: "a" },
          { name: "B", value: "$(A)-$(CM_k)-$$(A)" },
          { name: "S", valueFrom: { secretKeyRef: { name: "s", key: "p" } } },
          { name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
        ],
        resources: { limits: { memory: "64Mi" } },
      },
      { source, podIP: "10.0.0.5" },
    );
    expect(Object.fromEntries(env.map((e) => [e.key, e.value]))).toEqual({ CM_k: "v", A: "a", B: "a-v-$(A)", S: "pw", N: "web", IP: "10.0.0.5", MEM: "64" });
  });

  test.each([
    [{ configMapKeyRef: { name: "missing", key: "k" } }, 'configmap "missing" not found'],
    [{ configMapKeyRef: { name: "cm", key: "nope" } }, "couldn't find key nope"],
    [{ secretKeyRef: { name: "missing", key: "k" } }, 'secret "missing" not found'],
  ])("missing reference %j fails with CreateContainerConfigError", async (valueFrom, msg) => {
    const run = containerEnv(pod(), { name: "c", env: [{ name: "X", valueFrom }] }, { source });
    await expect(run).rejects.toBeInstanceOf(ContainerConfigError);
    await expect(run).rejects.toThrow(msg);
  });

  test("optional references are skipped", async () => {
    expect(await containerEnv(pod(), { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "missing", key: "k", optional: true } } }] }, { source })).toEqual([]);
  });

  test("expandVars leaves unknown references alone", () => {
    expect(expandVars("$(NOPE) $(A)", { A: "1" })).toBe("$(NOPE) 1");
  });
});

describe("container resources", () => {
  test.each([
    [{}, { cpu_shares: 2, cpu_period: 100000 }],
    [{ requests: { cpu: "250m" } }, { cpu_shares: 256, cpu_period: 100000 }],
    [{ limits: { cpu: "500m", memory: "128Mi" } }, { cpu_shares: 512, cpu_period: 100000, cpu_quota: 50000, memory_limit_in_bytes: 134217728 }],
  ])("%j", (resources, want) => {
    expect(linuxResources({ name: "c", resources })).toEqual(want);
  });
});

describe("sandbox config", () => {
  test("metadata, hostname, labels and kubelet's namespace options", () => {
    const c = sandboxConfig(pod(), { logDirectory: "/logs/x" });
    expect(c.metadata).toEqual({ name: "web", uid: "u1", namespace: "ns1", attempt: 0 });
    expect(c.hostname).toBe("web");
    expect(c.log_directory).toBe("/logs/x");
    expect(c.labels?.["io.kubernetes.pod.uid"]).toBe("u1");
    expect(c.labels?.app).toBe("web");
    expect(c.linux?.security_context?.namespace_options).toEqual({ network: "POD", pid: "CONTAINER", ipc: "POD" });
  });

  test("host network pods keep the node's hostname", () => {
    const c = sandboxConfig(pod({ hostNetwork: true }), { logDirectory: "/l" });
    expect(c.hostname).toBe("");
    expect(c.linux?.security_context?.namespace_options?.network).toBe("NODE");
  });
});

describe("back-off", () => {
  test("first restart is immediate, then doubles up to the cap, and resets after a long run", () => {
    const b = new Backoff({ initialMs: 10, maxMs: 40, resetAfterMs: 100 });
    const seen = [b.delay("k")];
    for (let i = 0; i < 4; i++) {
      b.next("k");
      seen.push(b.delay("k"));
    }
    expect(seen).toEqual([0, 10, 20, 40, 40]);
    b.observeRun("k", 150);
    expect(b.delay("k")).toBe(0);
  });
});

const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
const cri = (state: ContainerStatus["state"], exit = 0): ContainerStatus => ({
  id: "abc",
  metadata: { name: "c" },
  state,
  created_at: ns(1000),
  started_at: ns(2000),
  finished_at: state === "CONTAINER_EXITED" ? ns(3000) : "0",
  exit_code: exit,
  image: { image: "docker.io/local/busybox:1" },
  image_ref: "sha256:1",
  reason: "",
  message: "",
  labels: {},
  annotations: {},
  log_path: "",
});

describe("pod status", () => {
  const spec = { name: "c", image: "local/busybox:1" };
  const view = (v: Partial<ContainerView>): ContainerView => ({ spec, restartCount: 0, ready: false, ...v });
  const status = (containers: ContainerView[], restartPolicy: "Always" | "OnFailure" | "Never" = "Always") =>
    podStatus({ pod: pod({ restartPolicy }), sandboxReady: true, podIP: "10.0.0.2", hostIP: "192.168.0.1", init: [], containers, now: new Date(0) });

  test.each([
    ["no container yet", [view({})], "Always", "Pending"],
    ["running", [view({ current: cri("CONTAINER_RUNNING"), ready: true })], "Always", "Running"],
    ["crash looping", [view({ current: cri("CONTAINER_EXITED", 1), waiting: { reason: "CrashLoopBackOff" }, restartCount: 2 })], "Always", "Running"],
    ["succeeded", [view({ current: cri("CONTAINER_EXITED", 0) })], "Never", "Succeeded"],
    ["failed", [view({ current: cri("CONTAINER_EXITED", 2) })], "Never", "Failed"],
    ["image missing", [view({ waiting: { reason: "ErrImageNeverPull" } })], "Always", "Pending"],
  ] as const)("%s (restartPolicy %s) → %s", (_name, containers, policy, phase) => {
    expect(status([...containers], policy).phase).toBe(phase);
  });

  test("a running ready container", () => {
    const s = status([view({ current: cri("CONTAINER_RUNNING"), ready: true })]);
    expect(s.podIP).toBe("10.0.0.2");
    expect(s.containerStatuses![0]).toMatchObject({ ready: true, containerID: "containerd://abc", imageID: "sha256:1", state: { running: { startedAt: nsToTime(ns(2000)) } } });
    expect(s.conditions!.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  test("readiness gates: Ready only when every gate's condition is True, with kubelet's message", () => {
    const running = [view({ current: cri("CONTAINER_RUNNING"), ready: true })];
    const gated = (conditions: PodCondition[]) => {
      const p = pod({ readinessGates: [{ conditionType: "example.io/lb" }, { conditionType: "example.io/dns" }] });
      p.status = { conditions };
      return podStatus({ pod: p, sandboxReady: true, init: [], containers: running, now: new Date(0) }).conditions!;
    };
    const none = gated([]);
    expect(none.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ReadinessGatesNotReady",
      message: 'corresponding condition of pod readiness gate "example.io/lb" does not exist., corresponding condition of pod readiness gate "example.io/dns" does not exist.',
    });
    expect(none.find((c) => c.type === "ContainersReady")?.status).toBe("True");
    const half = gated([{ type: "example.io/lb", status: "True" }, { type: "example.io/dns", status: "False" }]);
    expect(half.find((c) => c.type === "Ready")?.message).toBe('the status of pod readiness gate "example.io/dns" is not "True", but False');
    const all = gated([{ type: "example.io/lb", status: "True" }, { type: "example.io/dns", status: "True" }]);
    expect(all.find((c) => c.type === "Ready")).toMatchObject({ status: "True" });
    // The gates' own conditions are kept as their writer left them.
    expect(all.filter((c) => c.type.startsWith("example.io/")).length).toBe(2);
  });

  test("conditions other writers own survive the agent's status", () => {
    const p = pod();
    const foreign = { type: "example.io/Foo", status: "True" as const, reason: "Mine" };
    const evicted = { type: "DisruptionTarget", status: "True" as const, reason: "EvictionByEvictionAPI" };
    p.status = { conditions: [foreign, { type: "Ready", status: "False" }, evicted] };
    const s = podStatus({ pod: p, sandboxReady: true, init: [], containers: [view({ current: cri("CONTAINER_RUNNING"), ready: true })], now: new Date(0) });
    expect(s.conditions).toContainEqual(foreign);
    expect(s.conditions).toContainEqual(evicted);
    expect(s.conditions!.filter((c) => c.type === "Ready").length).toBe(1);
  });

  test("a crash loop shows the last termination as lastState", () => {
    const s = status([view({ current: cri("CONTAINER_EXITED", 7), waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" }, restartCount: 1 })]);
    const cs = s.containerStatuses![0]!;
    expect(cs.state).toEqual({ waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } });
    expect(cs.lastState?.terminated?.exitCode).toBe(7);
    expect(cs.lastState?.terminated?.reason).toBe("Error");
    expect(s.conditions!.find((c) => c.type === "ContainersReady")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
  });
});
