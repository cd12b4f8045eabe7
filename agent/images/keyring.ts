// Registry credentials from a pod's image pull secrets, after kubelet's credential keyring
// (pkg/credentialprovider/keyring.go): kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg
// Secrets are read into entries keyed by registry host and optional path; an image matches an
// entry when their hosts have as many dot-separated parts, each part matching as a glob
// ("*.example.com"), the ports are equal and the image's repository starts with the entry's path.
// Every matching credential is tried in turn, longest key first, as kubelet does; Docker Hub's
// "index.docker.io" entry also serves images without a registry host.
import type { Secret } from "../../src/apis/index.ts";
import type { AuthConfig } from "../cri/index.ts";
import { normalizeImageName } from "./reference.ts";

export const DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson";
export const DOCKER_CFG = "kubernetes.io/dockercfg";

type Entry = { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string };
type Key = { key: string; host: string; port: string; path: string; creds: AuthConfig[] };

const DEFAULT_REGISTRY_HOST = "index.docker.io";

/** A dockerconfig entry as CRI's AuthConfig: `auth` is base64 "user:password", decoded as kubelet does. */
function authConfig(e: Entry): AuthConfig | undefined {
  let username = e.username ?? "";
  let password = e.password ?? "";
  if (e.auth) {
    const decoded = Buffer.from(e.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined; // kubelet refuses the whole entry: "must be formatted as base64(username:password)"
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const out: AuthConfig = { username, password };
  if (e.identitytoken) out.identity_token = e.identitytoken;
  if (e.registrytoken) out.registry_token = e.registrytoken;
  return username || password || e.identitytoken || e.registrytoken ? out : undefined;
}

/** `host[:port]` and path of a schemeless URL (a scheme is dropped; /v1/ and /v2/ mean the host). */
function splitLocation(location: string): { host: string; port: string; path: string } {
  const url = new URL(/^https?:\/\//.test(location) ? location : `https://${location}`);
  let path = url.pathname;
  if (path.startsWith("/v1/") || path.startsWith("/v2/")) path = path.slice(3);
  if (path === "/") path = "";
  // URL drops the default port and lower-cases the host; kubelet compares what was written.
  const hostPort = location.replace(/^https?:\/\//, "").split("/")[0]!;
  const colon = hostPort.lastIndexOf(":");
  return colon > 0 ? { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1), path } : { host: hostPort, port: "", path };
}

/** Go's filepath.Match for one host label: `*`, `?` and `[...]` classes, no separators to care about. */
function globMatch(glob: string, text: string): boolean {
  let re = "^";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) return false; // a malformed pattern matches nothing (Go: ErrBadPattern)
      re += `[${glob.slice(i + 1, end).replace(/^\^/, "^").replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`${re}$`).test(text);
}

function matches(k: Key, image: { host: string; port: string; path: string }): boolean {
  if (k.port !== image.port) return false;
  const globParts = k.host.split(".");
  const parts = image.host.split(".");
  if (globParts.length !== parts.length) return false;
  if (!image.path.startsWith(k.path)) return false;
  return globParts.every((g, i) => globMatch(g, parts[i]!));
}

/** The credentials of some dockerconfig files, looked up by image. */
export class Keyring {
  private readonly keys: Key[] = [];

  /** Adds one dockerconfig (`{host: entry}`, the `auths` of a config.json). Later entries for a key follow earlier ones. */
  add(config: Record<string, Entry>): void {
    for (const [location, entry] of Object.entries(config)) {
      const creds = entry && typeof entry === "object" ? authConfig(entry) : undefined;
      if (!creds) continue;
      let loc: ReturnType<typeof splitLocation>;
      try {
        loc = splitLocation(location);
      } catch {
        continue; // not a URL: kubelet skips it too
      }
      const key = `${loc.host}${loc.port ? `:${loc.port}` : ""}${loc.path}`;
      const existing = this.keys.find((k) => k.key === key);
      if (existing) existing.creds.push(creds);
      else this.keys.push({ key, ...loc, creds: [creds] });
    }
    // kubelet walks its index in reverse string order: more specific paths before their hosts.
    this.keys.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  }

  /** Every credential for this image, the most specific first; empty when none matches (pull anonymously). */
  lookup(image: string): AuthConfig[] {
    const repo = repository(image);
    const slash = repo.indexOf("/");
    const hostPort = repo.slice(0, slash);
    const colon = hostPort.lastIndexOf(":");
    const target = { host: colon > 0 ? hostPort.slice(0, colon) : hostPort, port: colon > 0 ? hostPort.slice(colon + 1) : "", path: repo.slice(slash) };
    const found = this.keys.filter((k) => matches(k, target)).flatMap((k) => k.creds);
    if (found.length) return found;
    if (target.host === "docker.io" && !target.port) return this.keys.find((k) => k.key === DEFAULT_REGISTRY_HOST)?.creds ?? [];
    return [];
  }

  get size(): number {
    return this.keys.length;
  }
}

/** The repository an image reference names, with its registry host: "busybox:1" is docker.io/library/busybox. */
export function repository(image: string): string {
  const full = normalizeImageName(image);
  const at = full.indexOf("@");
  const noDigest = at >= 0 ? full.slice(0, at) : full;
  const lastSlash = noDigest.lastIndexOf("/");
  const colon = noDigest.indexOf(":", lastSlash);
  return colon >= 0 ? noDigest.slice(0, colon) : noDigest;
}

/** The dockerconfig a pull secret holds, or undefined for other secrets and unreadable data (kubelet ignores both). */
export function dockerConfigOf(secret: Secret): Record<string, Entry> | undefined {
  const data = secret.data ?? {};
  const decode = (b64: string | undefined) => {
    if (!b64) return undefined;
    try {
      return JSON.parse(Buffer.from(b64, "base64").toString("utf8")) as unknown;
    } catch {
      return undefined;
    }
  };
  if (secret.type === DOCKER_CONFIG_JSON) {
    const json = decode(data[".dockerconfigjson"]) as { auths?: Record<string, Entry> } | undefined;
    return json && typeof json.auths === "object" && json.auths ? json.auths : undefined;
  }
  if (secret.type === DOCKER_CFG) {
    const cfg = decode(data[".dockercfg"]);
    return cfg && typeof cfg === "object" ? (cfg as Record<string, Entry>) : undefined;
  }
  return undefined;
}

/** The keyring of a pod's pull secrets, in the order the pod lists them. */
export function keyringOf(secrets: Secret[]): Keyring {
  const ring = new Keyring();
  for (const s of secrets) {
    const config = dockerConfigOf(s);
    if (config) ring.add(config);
  }
  return ring;
}
