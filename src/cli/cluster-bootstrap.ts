// Cluster secrets shared through the datastore, as k3s's bootstrap data: the first server on a
// PostgreSQL datastore stores its cluster CA, service-account signing key, admin, join and
// component tokens and the Secrets encryption key there, encrypted with a key derived from the
// cluster token (DIR/server.token); a server that joins with `--token TOKEN` writes them into
// its own data dir and so serves the same CA, accepts the same tokens and reads the same Secrets.
// One kubeconfig then works against every server, and agents' certificates stay valid.
//
// The token never reaches the database: only a PBKDF2 key derived from it (salted, 200,000
// rounds of SHA-256) seals the data with AES-256-GCM. A wrong token fails the GCM tag check.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
// PostgresLog (postgres.js, drizzle's postgres-js driver) loads when a datastore endpoint is given.
const openLog = async (url: string) => (await import("../store/pg-log.ts")).PostgresLog.open(url);

/** The data dir's files every server of a cluster must have alike (paths relative to it). */
export const SHARED_FILES = [
  "tls/ca.crt",
  "tls/ca.key",
  "tls/service-account.jwk",
  "admin.token",
  "join.token",
  "controller-manager.token",
  "scheduler.token",
  "encryption.key",
] as const;

const BLOB_KEY = "bootstrap";
const ROUNDS = 200_000;

interface Sealed {
  v: 1;
  salt: string;
  iv: string;
  data: string;
}

function keyFrom(token: string, salt: Buffer): Buffer {
  return pbkdf2Sync(token, salt, ROUNDS, 32, "sha256");
}

export function seal(files: Record<string, string>, token: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFrom(token, salt), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(files), "utf8"), cipher.final(), cipher.getAuthTag()]);
  return JSON.stringify({ v: 1, salt: salt.toString("base64"), iv: iv.toString("base64"), data: data.toString("base64") } satisfies Sealed);
}

export function unseal(blob: string, token: string): Record<string, string> {
  const sealed = JSON.parse(blob) as Sealed;
  const data = Buffer.from(sealed.data, "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyFrom(token, Buffer.from(sealed.salt, "base64")), Buffer.from(sealed.iv, "base64"));
  decipher.setAuthTag(data.subarray(data.length - 16));
  try {
    return JSON.parse(Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8")) as Record<string, string>;
  } catch {
    throw new Error("the datastore's bootstrap data cannot be decrypted with this token: give the cluster's token (the first server's DIR/server.token) with --token");
  }
}

/** The server token: `--token`, else the one in DIR/server.token, else a new one (the first server's). */
export function serverToken(dataDir: string, given: string | undefined): string {
  const path = join(dataDir, "server.token");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (given) {
    writeFileSync(path, `${given}\n`, { mode: 0o600 });
    return given;
  }
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const token = `K10${randomBytes(24).toString("base64url")}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * Before the server prepares its data dir: writes the cluster's shared files into it from the
 * datastore, if a server stored them. Returns whether it did (false: this is the first server).
 */
export async function fetchBootstrap(url: string, dataDir: string, token: string): Promise<boolean> {
  const log = await openLog(url);
  try {
    const blob = await log.getBlob(BLOB_KEY);
    if (blob === undefined) return false;
    writeFiles(dataDir, unseal(blob, token));
    return true;
  } finally {
    await log.close();
  }
}

/**
 * After the first server made its files: stores them in the datastore, unless another server
 * got there first, in which case that one's are written here instead (and the caller starts
 * again on them). Returns whether this server's were kept.
 */
export async function storeBootstrap(url: string, dataDir: string, token: string): Promise<boolean> {
  const files: Record<string, string> = {};
  for (const f of SHARED_FILES) files[f] = readFileSync(join(dataDir, f), "utf8");
  const log = await openLog(url);
  try {
    const stored = await log.putBlobIfAbsent(BLOB_KEY, seal(files, token));
    const theirs = unseal(stored, token);
    if (SHARED_FILES.every((f) => theirs[f] === files[f])) return true;
    writeFiles(dataDir, theirs);
    return false;
  } finally {
    await log.close();
  }
}

/** Certificates a server issued itself from its CA: made again from the cluster's CA when that differs. */
const ISSUED = ["tls/serving.crt", "tls/serving.key", "tls/apiserver-kubelet-client.crt", "tls/apiserver-kubelet-client.key"];

function writeFiles(dataDir: string, files: Record<string, string>): void {
  const caPath = join(dataDir, "tls/ca.crt");
  if (existsSync(caPath) && readFileSync(caPath, "utf8") !== files["tls/ca.crt"]) for (const f of ISSUED) rmSync(join(dataDir, f), { force: true });
  for (const f of SHARED_FILES) {
    const content = files[f];
    if (content === undefined) continue;
    const path = join(dataDir, f);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, content, { mode: 0o600 });
  }
}
