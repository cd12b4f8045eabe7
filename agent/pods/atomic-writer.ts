// kubelet's AtomicWriter, for the volumes whose files the agent writes (configMap, secret,
// downwardAPI, projected): the files live in a timestamped folder that the `..data` symlink points
// to, and every top-level name a container sees is a symlink through `..data`. An update writes a
// new timestamped folder and renames a fresh symlink over `..data` — one rename(2) — so a reader
// sees the old set of files or the new one, never a mix. The volume folder itself is never
// replaced: containers bind-mount it, and a new folder would not reach them.
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join, normalize } from "node:path";

export type VolumeFiles = Map<string, { data: Buffer; mode?: number }>;

export const DATA_DIR_NAME = "..data";
const DATA_DIR_TMP_NAME = "..data_tmp";

export class VolumePathError extends Error {}

/** kubelet's validatePath: relative, no `..` element, and not starting with `..` (the writer's own names). */
export function validateVolumePath(path: string): void {
  if (!path) throw new VolumePathError("invalid path: must not be empty");
  if (path.startsWith("/")) throw new VolumePathError(`invalid path: must be relative path: ${path}`);
  if (path.split("/").includes("..")) throw new VolumePathError(`invalid path: must not contain '..': ${path}`);
  if (path.startsWith("..")) throw new VolumePathError(`invalid path: must not start with '..': ${path}`);
}

/** `..2006_01_02_15_04_05.` and a random suffix, as kubelet names its timestamped folders. */
function timestampPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

function currentDataDir(dir: string): string | undefined {
  try {
    return readlinkSync(join(dir, DATA_DIR_NAME));
  } catch {
    return undefined;
  }
}

/** Relative paths of the regular files under `root`. */
function listFiles(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(root, path));
    else out.push(path);
  }
  return out;
}

function sameContent(tsDir: string, files: VolumeFiles, defaultMode: number): boolean {
  try {
    const existing = listFiles(tsDir);
    if (existing.length !== files.size) return false;
    for (const [path, f] of files) {
      const full = join(tsDir, path);
      if ((statSync(full).mode & 0o7777) !== (f.mode ?? defaultMode)) return false;
      if (!readFileSync(full).equals(f.data)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

const topLevel = (path: string) => path.split("/")[0]!;

/**
 * Makes `dir` hold exactly `files`. Returns false when it already did (nothing was written).
 * Each path must pass validateVolumePath.
 */
export function writeVolumeAtomically(dir: string, files: VolumeFiles, defaultMode: number, now = new Date()): boolean {
  const payload: VolumeFiles = new Map();
  for (const [path, f] of files) {
    validateVolumePath(path);
    payload.set(normalize(path), f);
  }
  mkdirSync(dir, { recursive: true });
  const oldTsName = currentDataDir(dir);
  if (oldTsName && sameContent(join(dir, oldTsName), payload, defaultMode)) return false;

  const tsDir = mkdtempSync(join(dir, timestampPrefix(now)));
  chmodSync(tsDir, 0o755);
  for (const [path, f] of payload) {
    const target = join(tsDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
    chmodSync(target, f.mode ?? defaultMode);
  }
  const tmpLink = join(dir, DATA_DIR_TMP_NAME);
  rmSync(tmpLink, { force: true });
  symlinkSync(basename(tsDir), tmpLink);
  renameSync(tmpLink, join(dir, DATA_DIR_NAME));

  // The names a container sees, each a symlink through ..data, so they switch with it.
  const visible = new Set([...payload.keys()].map(topLevel));
  for (const name of visible) {
    const link = join(dir, name);
    const want = `${DATA_DIR_NAME}/${name}`;
    let current: string | undefined;
    try {
      current = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : "";
    } catch {
      current = undefined;
    }
    if (current === want) continue;
    // A file left by an agent that wrote volumes in place, or a stale entry: make way for the link.
    if (current !== undefined) rmSync(link, { recursive: true, force: true });
    symlinkSync(want, link);
  }
  // Names gone from the payload, and the timestamped folders no longer pointed to.
  for (const name of readdirSync(dir)) {
    const stale = name.startsWith("..") ? name !== DATA_DIR_NAME && name !== basename(tsDir) : !visible.has(name);
    if (stale) rmSync(join(dir, name), { recursive: true, force: true });
  }
  return true;
}
