import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../apis/meta.ts";
import { AesGcmTransformer, loadOrCreateKey, secretsEncryption } from "./encryption.ts";
import { SqliteStore } from "./store.ts";

const tmp = mkdtempSync(join(tmpdir(), "kubun-enc-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => {
  const d = join(tmp, `d${dirs++}`);
  mkdirSync(d);
  return d;
};

const PLAINTEXT = "s3cr3t-hunter2-do-not-leak";
const secret = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "default" },
  data: { password: Buffer.from(PLAINTEXT).toString("base64") },
  type: "Opaque",
  note: PLAINTEXT,
} as unknown as KubeObject);

/** Every byte SQLite has on disk for this database (main file and WAL). */
function diskBytes(dbPath: string): string {
  return [dbPath, `${dbPath}-wal`]
    .filter(existsSync)
    .map((p) => readFileSync(p).toString("latin1"))
    .join("");
}

describe("AesGcmTransformer", () => {
  const t = new AesGcmTransformer(new Uint8Array(32).fill(7));

  test.each([
    ["/core/secrets/default/a", true],
    ["/core/secrets/kube-system/token", true],
    ["/core/configmaps/default/a", false],
    ["/apps/deployments/default/secrets", false],
  ])("%s encrypted: %p", (key, encrypted) => {
    const stored = t.toStorage(key, `{"v":"${PLAINTEXT}"}`);
    expect(stored.startsWith("k8s:enc:aesgcm:v1:key1:")).toBe(encrypted);
    expect(stored.includes(PLAINTEXT)).toBe(!encrypted);
    expect(t.fromStorage(key, stored)).toBe(`{"v":"${PLAINTEXT}"}`);
  });

  test("unencrypted rows written before encryption still load", () => {
    expect(t.fromStorage("/core/secrets/default/a", '{"old":true}')).toBe('{"old":true}');
  });

  test("a ciphertext moved to another key, a wrong key or a tampered value is refused", () => {
    const stored = t.toStorage("/core/secrets/default/a", "x");
    expect(() => t.fromStorage("/core/secrets/default/b", stored)).toThrow();
    expect(() => new AesGcmTransformer(new Uint8Array(32).fill(8)).fromStorage("/core/secrets/default/a", stored)).toThrow();
    const body = Buffer.from(stored.slice("k8s:enc:aesgcm:v1:key1:".length), "base64");
    body[14] = body[14]! ^ 1;
    expect(() => t.fromStorage("/core/secrets/default/a", `k8s:enc:aesgcm:v1:key1:${body.toString("base64")}`)).toThrow();
    expect(() => t.fromStorage("/core/secrets/default/a", "k8s:enc:aescbc:v1:key1:AAAA")).toThrow(/unknown provider/);
  });

  test("the key file is created once with mode 0600 and then reused", () => {
    const file = join(freshDir(), "encryption.key");
    const a = loadOrCreateKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(a.byteLength).toBe(32);
    expect(Buffer.from(loadOrCreateKey(file)).equals(Buffer.from(a))).toBe(true);
  });
});

describe("SqliteStore with Secrets encrypted at rest", () => {
  test("the SQLite file holds no secret plaintext and a restart reads secrets back", async () => {
    const dir = freshDir();
    const dbPath = join(dir, "state.db");
    const keyFile = join(dir, "encryption.key");
    const s = new SqliteStore(dbPath, { transformer: secretsEncryption(keyFile) });
    await s.create("/core/secrets/default/one", secret("one"));
    const two = await s.create("/core/secrets/default/two", secret("two"));
    await s.update("/core/secrets/default/two", { ...two.object, note: `${PLAINTEXT}-v2` } as KubeObject, two.revision);
    await s.create("/core/configmaps/default/plain", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain" }, note: "visible-config" } as unknown as KubeObject);
    // In memory the state stays plaintext.
    expect((s.get("/core/secrets/default/one")!.object as unknown as { note: string }).note).toBe(PLAINTEXT);
    const disk = diskBytes(dbPath);
    expect(disk.includes(PLAINTEXT)).toBe(false);
    expect(disk.includes(Buffer.from(PLAINTEXT).toString("base64"))).toBe(false);
    expect(disk.includes("k8s:enc:aesgcm:v1:key1:")).toBe(true);
    expect(disk.includes("visible-config")).toBe(true); // only Secrets are encrypted
    await s.close();

    const restarted = new SqliteStore(dbPath, { transformer: secretsEncryption(keyFile) });
    expect((restarted.get("/core/secrets/default/one")!.object as unknown as { note: string }).note).toBe(PLAINTEXT);
    expect((restarted.get("/core/secrets/default/two")!.object as unknown as { note: string }).note).toBe(`${PLAINTEXT}-v2`);
    // Watches replayed from the log decrypt too (the ring is empty after a restart).
    const events = await new Promise<readonly { object: unknown; prev?: unknown }[]>((resolve) => {
      const w = restarted.watch("/core/secrets/", 0, (ev) => {
        w.close();
        resolve(ev);
      });
    });
    expect(events.length).toBe(3);
    expect(JSON.stringify(events)).toContain(`${PLAINTEXT}-v2`);
    await restarted.close();
  });

  test("a store that starts encrypting still reads the plaintext rows written before", async () => {
    const dir = freshDir();
    const dbPath = join(dir, "state.db");
    const before = new SqliteStore(dbPath);
    await before.create("/core/secrets/default/old", secret("old"));
    await before.close();
    const after = new SqliteStore(dbPath, { transformer: secretsEncryption(join(dir, "encryption.key")) });
    expect(after.get("/core/secrets/default/old")!.object.metadata.name).toBe("old");
    await after.close();
  });
});
