import { describe, expect, test } from "bun:test";
import type { Secret } from "../../src/apis/index.ts";
import { dockerConfigOf, Keyring, keyringOf, repository } from "./keyring.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
// Usernames hold no colon (auth is "user:password"): the key names its credential.
const cred = (key: string) => ({ username: key, password: "pw" });

describe("repository", () => {
  test.each([
    ["busybox", "docker.io/library/busybox"],
    ["busybox:1.36", "docker.io/library/busybox"],
    ["me/app@sha256:abc", "docker.io/me/app"],
    ["registry.example.com:5000/team/app:v1", "registry.example.com:5000/team/app"],
    ["localhost/app", "localhost/app"],
  ])("%s → %s", (image, want) => expect(repository(image)).toBe(want));
});

describe("keyring lookup (kubelet's URL matching)", () => {
  // [keys in the config, image, users whose credentials are tried, in order]
  test.each([
    [["registry.example.com"], "registry.example.com/app:1", ["registry.example.com"]],
    [["https://registry.example.com/v2/"], "registry.example.com/app:1", ["https://registry.example.com/v2/"]],
    [["registry.example.com"], "other.example.com/app:1", []],
    [["*.example.com"], "registry.example.com/app:1", ["*.example.com"]],
    [["*.example.com"], "a.b.example.com/app:1", []], // a glob stands for one label only
    [["*.example.com"], "example.com/app:1", []],
    [["registry.example.com:5000"], "registry.example.com/app:1", []], // ports must agree
    [["registry.example.com"], "registry.example.com:5000/app:1", []],
    [["registry.example.com:5000"], "registry.example.com:5000/app:1", ["registry.example.com:5000"]],
    [["registry.example.com/team"], "registry.example.com/team/app:1", ["registry.example.com/team"]],
    [["registry.example.com/team"], "registry.example.com/other/app:1", []],
    // the more specific key first, then the host's
    [["registry.example.com", "registry.example.com/team"], "registry.example.com/team/app:1", ["registry.example.com/team", "registry.example.com"]],
    [["docker.io"], "busybox", ["docker.io"]],
    [["https://index.docker.io/v1/"], "busybox:1.36", ["https://index.docker.io/v1/"]],
    [["index.docker.io"], "me/app", ["index.docker.io"]],
    [["index.docker.io"], "quay.io/me/app", []],
  ])("%j, %s", (keys, image, want) => {
    const ring = new Keyring();
    ring.add(Object.fromEntries(keys.map((k) => [k, cred(k)])));
    expect(ring.lookup(image).map((c) => c.username)).toEqual(want);
  });

  test("auth is decoded into username and password; username/password entries pass as they are", () => {
    const ring = new Keyring();
    ring.add({ "a.example.com": { auth: b64("alice:s3:cret") }, "b.example.com": { username: "bob", password: "pw" } });
    expect(ring.lookup("a.example.com/x")).toEqual([{ username: "alice", password: "s3:cret" }]);
    expect(ring.lookup("b.example.com/x")).toEqual([{ username: "bob", password: "pw" }]);
  });

  test("an auth without a colon is dropped, as kubelet refuses it", () => {
    const ring = new Keyring();
    ring.add({ "a.example.com": { auth: b64("nocolon") } });
    expect(ring.lookup("a.example.com/x")).toEqual([]);
  });
});

describe("pull secrets", () => {
  const secret = (type: string, data: Record<string, string>): Secret => ({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type, data });
  test("kubernetes.io/dockerconfigjson holds {auths}, kubernetes.io/dockercfg the entries themselves", () => {
    const json = secret("kubernetes.io/dockerconfigjson", { ".dockerconfigjson": b64(JSON.stringify({ auths: { "r.example.com": cred("j") } })) });
    const cfg = secret("kubernetes.io/dockercfg", { ".dockercfg": b64(JSON.stringify({ "r.example.com": cred("c") })) });
    expect(dockerConfigOf(json)).toEqual({ "r.example.com": cred("j") });
    expect(keyringOf([json, cfg]).lookup("r.example.com/app").map((c) => c.username)).toEqual(["j", "c"]);
  });

  test("other secret types and unreadable data are ignored", () => {
    expect(dockerConfigOf(secret("Opaque", { ".dockerconfigjson": b64(JSON.stringify({ auths: {} })) }))).toBeUndefined();
    expect(dockerConfigOf(secret("kubernetes.io/dockerconfigjson", { ".dockerconfigjson": b64("{not json") }))).toBeUndefined();
  });
});
