import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../apis/meta.ts";
import { loadSigningKey, ServiceAccountTokens } from "./tokens.ts";

const sa: KubeObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "robot", namespace: "ns", uid: "uid-1" } };

async function setup(now = () => new Date()) {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const accounts = new Map<string, KubeObject>([["serviceaccounts/ns/robot", sa]]);
  return { accounts, tokens: new ServiceAccountTokens(keys, (resource, ns, name) => accounts.get(`${resource}/${ns}/${name}`), { now }) };
}

describe("ServiceAccountTokens", () => {
  test("a token it issued names the service account", async () => {
    const { tokens } = await setup();
    const { token } = await tokens.issue(sa);
    expect(await tokens.authenticate(token)).toEqual({
      name: "system:serviceaccount:ns:robot",
      uid: "uid-1",
      groups: ["system:serviceaccounts", "system:serviceaccounts:ns"],
      extra: {},
    });
  });

  test("refuses tampered, expired, foreign-audience and orphaned tokens", async () => {
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const { tokens, accounts } = await setup(() => new Date(clock));
    const { token } = await tokens.issue(sa, { expirationSeconds: 600 });
    const [h, p, sig] = token.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "system:serviceaccount:kube-system:x" })).toString("base64url")}.${sig}`;
    expect(await tokens.authenticate(forged)).toBeUndefined();
    expect(await tokens.authenticate("not.a.jwt")).toBeUndefined();
    const { token: vault } = await tokens.issue(sa, { audiences: ["vault"] });
    expect(await tokens.authenticate(vault)).toBeUndefined();

    accounts.set("serviceaccounts/ns/robot", { ...sa, metadata: { ...sa.metadata, uid: "uid-2" } });
    expect(await tokens.authenticate(token)).toBeUndefined();
    accounts.set("serviceaccounts/ns/robot", sa);
    expect(await tokens.authenticate(token)).toBeDefined();
    clock += 601_000;
    expect(await tokens.authenticate(token)).toBeUndefined();
  });

  test("a pod-bound token lives only as long as its pod", async () => {
    const { tokens, accounts } = await setup();
    const pod = { name: "p", uid: "pod-1" };
    const { token } = await tokens.issue(sa, { pod });
    expect(await tokens.authenticate(token)).toBeUndefined();
    accounts.set("pods/ns/p", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", uid: "pod-1" } });
    expect((await tokens.authenticate(token))?.extra).toEqual({ "authentication.kubernetes.io/pod-name": ["p"], "authentication.kubernetes.io/pod-uid": ["pod-1"] });
    accounts.set("pods/ns/p", { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", uid: "pod-2" } });
    expect(await tokens.authenticate(token)).toBeUndefined();
  });

  test("another server's key does not verify", async () => {
    const a = await setup();
    const b = await setup();
    const { token } = await a.tokens.issue(sa);
    expect(await b.tokens.authenticate(token)).toBeUndefined();
  });

  test("the signing key persists in the data dir", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubun-sa-key-"));
    try {
      const path = join(dir, "sa.jwk");
      const first = new ServiceAccountTokens(await loadSigningKey(path), () => sa);
      const second = new ServiceAccountTokens(await loadSigningKey(path), () => sa);
      const { token } = await first.issue(sa);
      expect((await second.authenticate(token))?.name).toBe("system:serviceaccount:ns:robot");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
