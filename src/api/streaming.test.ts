import { describe, expect, test } from "bun:test";
import { exitStatus, frame } from "../../agent/streaming.ts";
import { negotiateProtocol, PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS } from "./streaming.ts";

describe("negotiateProtocol", () => {
  test.each([
    ["v5.channel.k8s.io, v4.channel.k8s.io", REMOTE_COMMAND_PROTOCOLS, "v5.channel.k8s.io"],
    ["v4.channel.k8s.io,channel.k8s.io", REMOTE_COMMAND_PROTOCOLS, "v4.channel.k8s.io"],
    ["channel.k8s.io", REMOTE_COMMAND_PROTOCOLS, undefined],
    [undefined, REMOTE_COMMAND_PROTOCOLS, undefined],
    ["SPDY/3.1+portforward.k8s.io", PORT_FORWARD_PROTOCOLS, "SPDY/3.1+portforward.k8s.io"],
    ["portforward.k8s.io", PORT_FORWARD_PROTOCOLS, undefined],
  ])("%p offered → %p", (offered, supported, want) => {
    expect(negotiateProtocol(offered, supported)).toBe(want);
  });
});

describe("remote command framing", () => {
  test("a frame is the channel byte, then the payload", () => {
    expect([...frame(2, "hi")]).toEqual([2, 104, 105]);
  });
  test.each([
    [0, { metadata: {}, status: "Success" }],
    [7, { status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "7" }] } }],
  ])("exit code %p → %p", (code, want) => {
    expect(exitStatus(code, ["sh", "-c", "exit 7"])).toMatchObject(want);
  });
});
