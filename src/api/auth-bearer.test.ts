import { describe, expect, test } from "bun:test";
import { bearerToken } from "./auth.ts";

const b64url = (s: string) => Buffer.from(s).toString("base64url");

describe("bearerToken", () => {
  test.each([
    ["the Authorization header", "Bearer abc", undefined, undefined, "abc"],
    ["the header wins over a subprotocol", "Bearer abc", "websocket", `v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.${b64url("xyz")}`, "abc"],
    ["a WebSocket's bearer subprotocol", undefined, "websocket", `v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.${b64url("xyz")}`, "xyz"],
    ["the subprotocol only on a WebSocket upgrade", undefined, undefined, `base64url.bearer.authorization.k8s.io.${b64url("xyz")}`, undefined],
    ["an empty subprotocol token", undefined, "websocket", "base64url.bearer.authorization.k8s.io.", undefined],
    ["no token at all", undefined, "websocket", "v4.channel.k8s.io", undefined],
    ["a Basic header", "Basic abc", undefined, undefined, undefined],
  ])("%s", (_, authorization, upgrade, protocols, want) => {
    expect(bearerToken(authorization, upgrade, protocols)).toBe(want);
  });
});
