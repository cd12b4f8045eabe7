// The node's registry configuration, after k3s's registries.yaml: `mirrors` (per registry, the
// endpoints to try first, then the registry itself) and `configs` (per registry host, auth and
// TLS). It is rendered the way containerd 1.6 reads registry settings today:
//   - one hosts.toml per registry under the CRI plugin's `config_path` (mirror endpoints, CA,
//     client certificate, skip_verify) — containerd reads these at every pull, so a changed file
//     takes effect without a restart;
//   - per-host credentials in the CRI plugin's `registry.configs."host".auth`, used when the pull
//     brings none of its own (hosts.toml has no credentials); changing them restarts containerd.
// The agent checks the file every 2 s and applies a changed one; a file it can't use is logged and
// the settings in force stay. (containerd 1.6 also refuses a hosts.toml without a [host] table, so
// a registry without mirrors is written as its own one host.)
// k3s's `rewrite` needs k3s's patched containerd: it is refused, naming the field, never ignored.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type YAMLModule from "yaml";

// Loaded on the first registries.yaml: most nodes have none, and the parser is ~280 kB of source
// an agent would otherwise compile and keep for nothing.
const yaml = (): typeof YAMLModule => require("yaml");

export interface RegistryTLS {
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  insecure_skip_verify?: boolean;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  auth?: string;
  identity_token?: string;
}

export interface Registries {
  mirrors: Record<string, { endpoint: string[] }>;
  configs: Record<string, { auth?: RegistryAuth; tls?: RegistryTLS }>;
}

/** A registries.yaml that can't be used as written: `field` names what is wrong, as the file spells it. */
export class RegistriesError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`registries.yaml: ${field}: ${detail}`);
    this.name = "RegistriesError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function only(obj: Record<string, unknown>, path: string, known: string[], unsupported: Record<string, string> = {}): void {
  for (const k of Object.keys(obj)) {
    if (unsupported[k]) throw new RegistriesError(`${path}.${k}`, unsupported[k]!);
    if (!known.includes(k)) throw new RegistriesError(`${path}.${k}`, `unknown field (known: ${known.join(", ")})`);
  }
}

function str(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || !v) throw new RegistriesError(field, "must be a non-empty string");
  return v;
}

const REWRITE = "not supported: repository rewrites need k3s's patched containerd, and this agent runs the distribution's containerd 1.6";

/** Reads registries.yaml text; every field is either acted on or refused with a RegistriesError. */
export function parseRegistries(text: string): Registries {
  let doc: unknown;
  try {
    doc = yaml().parse(text) ?? {};
  } catch (err) {
    throw new RegistriesError("(file)", `not YAML: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new RegistriesError("(file)", "must be a mapping with mirrors and configs");
  only(doc, "", ["mirrors", "configs"]);
  const out: Registries = { mirrors: {}, configs: {} };
  const mirrors = doc.mirrors ?? {};
  if (!isObject(mirrors)) throw new RegistriesError("mirrors", "must be a mapping of registry to {endpoint}");
  for (const [registry, m] of Object.entries(mirrors)) {
    const path = `mirrors.${registry}`;
    if (!isObject(m)) throw new RegistriesError(path, "must be a mapping with endpoint");
    only(m, path, ["endpoint"], { rewrite: REWRITE });
    const endpoints = m.endpoint ?? [];
    if (!Array.isArray(endpoints)) throw new RegistriesError(`${path}.endpoint`, "must be a list of URLs");
    out.mirrors[registry] = {
      endpoint: endpoints.map((e, i) => {
        const field = `${path}.endpoint[${i}]`;
        const url = str(e, field)!;
        try {
          const parsed = new URL(/^[a-z]+:\/\//.test(url) ? url : `https://${url}`);
          if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("scheme");
        } catch {
          throw new RegistriesError(field, `${JSON.stringify(url)} is not an http(s) URL`);
        }
        return url;
      }),
    };
  }
  const configs = doc.configs ?? {};
  if (!isObject(configs)) throw new RegistriesError("configs", "must be a mapping of registry host to {auth, tls}");
  for (const [host, c] of Object.entries(configs)) {
    const path = `configs.${host}`;
    if (!isObject(c)) throw new RegistriesError(path, "must be a mapping with auth and tls");
    only(c, path, ["auth", "tls"]);
    const entry: Registries["configs"][string] = {};
    if (c.auth !== undefined) {
      if (!isObject(c.auth)) throw new RegistriesError(`${path}.auth`, "must be a mapping");
      only(c.auth, `${path}.auth`, ["username", "password", "auth", "identity_token"]);
      entry.auth = {
        username: str(c.auth.username, `${path}.auth.username`),
        password: str(c.auth.password, `${path}.auth.password`),
        auth: str(c.auth.auth, `${path}.auth.auth`),
        identity_token: str(c.auth.identity_token, `${path}.auth.identity_token`),
      };
    }
    if (c.tls !== undefined) {
      if (!isObject(c.tls)) throw new RegistriesError(`${path}.tls`, "must be a mapping");
      only(c.tls, `${path}.tls`, ["ca_file", "cert_file", "key_file", "insecure_skip_verify"]);
      const skip = c.tls.insecure_skip_verify;
      if (skip !== undefined && typeof skip !== "boolean") throw new RegistriesError(`${path}.tls.insecure_skip_verify`, "must be true or false");
      entry.tls = {
        ca_file: str(c.tls.ca_file, `${path}.tls.ca_file`),
        cert_file: str(c.tls.cert_file, `${path}.tls.cert_file`),
        key_file: str(c.tls.key_file, `${path}.tls.key_file`),
        insecure_skip_verify: skip as boolean | undefined,
      };
      if (!entry.tls.cert_file !== !entry.tls.key_file) throw new RegistriesError(`${path}.tls`, "cert_file and key_file go together");
    }
    out.configs[host] = entry;
  }
  return out;
}

const q = (s: string) => JSON.stringify(s);

/** The host[:port] of an endpoint URL or registry name. */
const hostOf = (endpoint: string) => new URL(/^[a-z]+:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`).host;

/** Docker Hub's name and where containerd really pulls it from. */
const upstreamServer = (registry: string) => (registry === "docker.io" ? "https://registry-1.docker.io" : `https://${registry}`);

function tlsLines(tls: RegistryTLS | undefined, indent: string): string[] {
  if (!tls) return [];
  const lines: string[] = [];
  if (tls.ca_file) lines.push(`${indent}ca = ${q(tls.ca_file)}`);
  if (tls.cert_file && tls.key_file) lines.push(`${indent}client = [[${q(tls.cert_file)}, ${q(tls.key_file)}]]`);
  if (tls.insecure_skip_verify) lines.push(`${indent}skip_verify = true`);
  return lines;
}

/**
 * The hosts.toml of each registry, keyed by its folder under config_path ("*" is containerd's
 * `_default`): mirror endpoints first, in order, then the registry itself, as k3s falls back.
 */
export function hostsFiles(r: Registries): Map<string, string> {
  const files = new Map<string, string>();
  const names = new Set([...Object.keys(r.mirrors), ...Object.keys(r.configs)]);
  for (const registry of names) {
    const lines = ["# written by the kubun agent from registries.yaml: edits are overwritten"];
    if (registry !== "*") {
      lines.push(`server = ${q(upstreamServer(registry))}`);
      lines.push(...tlsLines(r.configs[registry]?.tls, ""));
    }
    // containerd 1.6 refuses a hosts.toml without a [host] table ("invalid `host` tree"): a
    // registry with no mirror endpoints is its own one host, with its TLS, before the server.
    const endpoints = r.mirrors[registry]?.endpoint ?? [];
    if (!endpoints.length && registry === "*") continue;
    for (const endpoint of endpoints.length ? endpoints : [upstreamServer(registry)]) {
      const url = /^[a-z]+:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
      lines.push("", `[host.${q(url)}]`, `  capabilities = ["pull", "resolve"]`, ...tlsLines(r.configs[hostOf(endpoint)]?.tls, "  "));
    }
    files.set(registry === "*" ? "_default" : registry, `${lines.join("\n")}\n`);
  }
  return files;
}

/** The CRI plugin's registry section of containerd's config: config_path, and the per-host credentials. */
export function criRegistrySection(r: Registries | undefined, configPath: string): string {
  const lines = [`  [plugins."io.containerd.grpc.v1.cri".registry]`, `    config_path = ${q(configPath)}`];
  for (const [name, c] of Object.entries(r?.configs ?? {})) {
    const a = c.auth;
    if (!a) continue;
    // containerd asks for the host it talks to: Docker Hub's is registry-1.docker.io.
    for (const host of name === "docker.io" ? [name, "registry-1.docker.io"] : [name]) {
      lines.push(`    [plugins."io.containerd.grpc.v1.cri".registry.configs.${q(host)}.auth]`);
      if (a.username !== undefined) lines.push(`      username = ${q(a.username)}`);
      if (a.password !== undefined) lines.push(`      password = ${q(a.password)}`);
      if (a.auth !== undefined) lines.push(`      auth = ${q(a.auth)}`);
      if (a.identity_token !== undefined) lines.push(`      identitytoken = ${q(a.identity_token)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Replaces config_path's folder with the files of `r` (written aside, then swapped in). */
export function writeHostsDir(r: Registries | undefined, dir: string): void {
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  for (const [name, text] of hostsFiles(r ?? { mirrors: {}, configs: {} })) {
    mkdirSync(join(next, name), { recursive: true });
    writeFileSync(join(next, name, "hosts.toml"), text);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
}

/**
 * Follows a registries.yaml: a changed file is read again and handed to `apply`; one that can't be
 * used is logged and the settings in force stay. Returns the stop function.
 */
export function watchRegistries(file: string, target: { setRegistries(r: Registries): Promise<boolean> }, log: (msg: string) => void, intervalMs = 2000): () => void {
  let last = existsSync(file) ? readFileSync(file, "utf8") : "";
  let busy = Promise.resolve();
  const check = () => {
    busy = busy.then(async () => {
      const text = existsSync(file) ? readFileSync(file, "utf8") : "";
      if (text === last) return;
      last = text;
      try {
        const restarted = await target.setRegistries(parseRegistries(text));
        log(`registries: ${file} applied${restarted ? " (containerd restarted for its credentials)" : ""}`);
      } catch (err) {
        log(`registries: ${file} not applied, the previous settings stay: ${(err as Error).message}`);
      }
    });
  };
  const timer = setInterval(check, intervalMs);
  return () => clearInterval(timer);
}

/** Reads and checks a registries.yaml file. */
export function readRegistries(file: string): Registries {
  return parseRegistries(readFileSync(file, "utf8"));
}
