import { afterAll, describe, expect, test } from "bun:test";
import type { Container, LifecycleHandler, Pod } from "../../src/apis/index.ts";
import type { ExecSyncResponse } from "../cri/index.ts";
import { runHook, runPreStop, type HookTarget } from "./hooks.ts";

const pod: Pod = { metadata: { name: "web", namespace: "ns1", uid: "u1" }, spec: { containers: [] } };
const container: Container = { name: "app", ports: [{ name: "http", containerPort: 0 }] };

const execResult = (exit_code: number, stdout = "", stderr = ""): ExecSyncResponse => ({ exit_code, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) });

function target(result: Promise<ExecSyncResponse> | ExecSyncResponse = execResult(0)): HookTarget & { calls: [string[], number][] } {
  const calls: [string[], number][] = [];
  return { podIP: "127.0.0.1", calls, exec: async (cmd, t) => (calls.push([cmd, t]), result) };
}

// Answers every request with 500: kubelet's httpGet hooks look only at whether the request went through.
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("no", { status: 500 }) });
afterAll(() => server.stop(true));

describe("runHook", () => {
  test("exec runs the command in the container with the timeout", async () => {
    const t = target();
    expect(await runHook({ exec: { command: ["touch", "/x"] } }, pod, container, t, 7)).toBeUndefined();
    expect(t.calls).toEqual([[["touch", "/x"], 7]]);
  });

  test("a failing exec gives kubelet's message", async () => {
    const msg = await runHook({ exec: { command: ["sh", "-c", "exit 3"] } }, pod, container, target(execResult(3, "out", "err")), 5);
    expect(msg).toBe(`Exec lifecycle hook ([sh -c exit 3]) for Container "app" in Pod "web_ns1(u1)" failed - error: command 'sh -c exit 3' exited with 3: err, message: "outerr"`);
  });

  test("an exec the runtime rejects fails the hook", async () => {
    const msg = await runHook({ exec: { command: ["x"] } }, pod, container, target(Promise.reject(new Error("no such container"))), 5);
    expect(msg).toContain("failed - error: no such container");
  });

  test.each([
    ["a number", server.port!],
    ["a named port", "http"],
  ])("httpGet to %s succeeds whatever the status code", async (_what, port) => {
    const c = { ...container, ports: [{ name: "http", containerPort: server.port! }] };
    expect(await runHook({ httpGet: { path: "/hook", port } }, pod, c, target(), 5)).toBeUndefined();
  });

  test("httpGet that cannot connect fails", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const port = closed.port!;
    closed.stop(true);
    const msg = await runHook({ httpGet: { path: "/hook", port } }, pod, container, target(), 2);
    expect(msg).toStartWith(`HTTP lifecycle hook (/hook) for Container "app" in Pod "web_ns1(u1)" failed - error: `);
  });

  test.each([
    [{ sleep: { seconds: 0 } }, 5, undefined],
    [{ sleep: { seconds: 9 } }, 0, 'Sleep lifecycle hook (9) for Container "app" in Pod "web_ns1(u1)" failed - error: container terminated before sleep hook finished'],
    [{ tcpSocket: { port: 80 } }, 5, 'Cannot run handler: invalid handler: {"tcpSocket":{"port":80}}'],
  ] as [LifecycleHandler, number, string | undefined][])("%j within %d s → %p", async (handler, timeout, want) => {
    expect(await runHook(handler, pod, container, target(), timeout)).toBe(want);
  });
});

describe("runPreStop", () => {
  const withPreStop = (preStop: LifecycleHandler): Container => ({ ...container, lifecycle: { preStop } });

  test("no hook, or no grace to run it in: the grace period is untouched and nothing runs", async () => {
    const t = target();
    expect(await runPreStop(pod, container, t, 30, () => {})).toBe(30);
    expect(await runPreStop(pod, withPreStop({ exec: { command: ["x"] } }), t, 0, () => {})).toBe(0);
    expect(t.calls).toEqual([]);
  });

  test("a failed hook is reported and termination goes on with the grace left", async () => {
    const failures: string[] = [];
    const left = await runPreStop(pod, withPreStop({ exec: { command: ["false"] } }), target(execResult(1)), 30, (m) => failures.push(m));
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(30);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain("Exec lifecycle hook ([false])");
  });

  test("a hook that outlasts the grace period is left behind with no grace left", async () => {
    const failures: string[] = [];
    const left = await runPreStop(pod, withPreStop({ exec: { command: ["sleep", "60"] } }), target(new Promise(() => {})), 1, (m) => failures.push(m));
    expect(left).toBe(0);
    expect(failures).toEqual([]);
  });
});
