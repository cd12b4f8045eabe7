// Encryption at rest for Secrets, after kube-apiserver's EncryptionConfiguration aesgcm
// provider: the value of a row under /core/secrets/ is written to SQLite as
//   k8s:enc:aesgcm:v1:key1:<base64(nonce | ciphertext | tag)>
// and decrypted when it is read back. Rows without the prefix (written before encryption was
// turned on) still load as plaintext. Only the durable copy is encrypted: the in-memory state
// and watch events stay plaintext, as they do in kube-apiserver's cache.
//
// node:crypto rather than WebCrypto because the store's read and write paths are synchronous.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts and decrypts the stored value of a key; a no-op for keys it doesn't cover. */
export interface ValueTransformer {
  toStorage(key: string, value: string): string;
  fromStorage(key: string, value: string): string;
}

export const IDENTITY: ValueTransformer = {
  toStorage: (_key, value) => value,
  fromStorage: (_key, value) => value,
};

export class AesGcmTransformer implements ValueTransformer {
  private readonly prefix: string;

  constructor(
    private readonly key: Uint8Array,
    keyName = "key1",
    /** Store key prefixes whose values are encrypted. */
    private readonly prefixes: readonly string[] = ["/core/secrets/"],
  ) {
    if (key.byteLength !== KEY_BYTES) throw new Error(`aesgcm key must be ${KEY_BYTES} bytes, got ${key.byteLength}`);
    this.prefix = `k8s:enc:aesgcm:v1:${keyName}:`;
  }

  private covers(key: string): boolean {
    return this.prefixes.some((p) => key.startsWith(p));
  }

  toStorage(key: string, value: string): string {
    if (!this.covers(key)) return value;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce);
    // The store key is authenticated data: a ciphertext copied onto another Secret's row won't decrypt.
    cipher.setAAD(Buffer.from(key));
    const sealed = Buffer.concat([nonce, cipher.update(value, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return this.prefix + sealed.toString("base64");
  }

  fromStorage(key: string, value: string): string {
    if (!value.startsWith("k8s:enc:")) return value;
    if (!value.startsWith(this.prefix)) throw new Error(`stored value of ${key} is encrypted with an unknown provider or key`);
    const sealed = Buffer.from(value.slice(this.prefix.length), "base64");
    if (sealed.byteLength < NONCE_BYTES + TAG_BYTES) throw new Error(`stored value of ${key} is truncated`);
    const nonce = sealed.subarray(0, NONCE_BYTES);
    const tag = sealed.subarray(sealed.byteLength - TAG_BYTES);
    const decipher = createDecipheriv("aes-256-gcm", this.key, nonce);
    decipher.setAAD(Buffer.from(key));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.byteLength - TAG_BYTES)), decipher.final()]).toString("utf8");
  }
}

/** Reads the base64 key in `path`, creating it (mode 0600) on first start. */
export function loadOrCreateKey(path: string): Uint8Array {
  if (!existsSync(path)) {
    writeFileSync(path, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
  }
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (key.byteLength !== KEY_BYTES) throw new Error(`${path}: expected a base64 ${KEY_BYTES}-byte key`);
  return key;
}

/** The Secrets transformer with the data dir's key file. */
export function secretsEncryption(keyFile: string): ValueTransformer {
  return new AesGcmTransformer(loadOrCreateKey(keyFile));
}
