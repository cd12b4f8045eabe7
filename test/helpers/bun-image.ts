// Test images that run a script under bun: the bun binary from node_modules with the C libraries
// it links against (as ldd resolves them, loader included), the given files, and an entrypoint.
// They are 50+ MB, so each is built into its own folder under build/ on first use — never into
// build/images/, which every agent test (and `kubun up`) imports — and rebuilt only when bun,
// its files or this helper change.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildImage } from "../../agent/images/index.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/bun/bin/bun.exe");

export interface BunImage {
  /** The image's name, e.g. local/webhook:1. */
  name: string;
  /** Where the tarball goes: build/images-<folder>/<folder>.tar. */
  folder: string;
  /** [file on this machine, path in the image]. */
  files: [string, string][];
  entrypoint: string[];
  env?: string[];
}

/** The shared libraries `ldd` names for the bun binary, with the dynamic loader. */
async function sharedLibraries(): Promise<string[]> {
  const proc = Bun.spawn(["ldd", BUN], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`ldd ${BUN} failed`);
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
}

/** Builds the image unless its tarball is newer than its inputs; resolves with the tarball's path. */
export async function buildBunImage(image: BunImage): Promise<string> {
  const outDir = join(ROOT, "build", `images-${image.folder}`);
  const out = join(outDir, `${image.folder}.tar`);
  const inputs = Math.max(statSync(BUN).mtimeMs, statSync(import.meta.path).mtimeMs, ...image.files.map(([src]) => statSync(src).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs >= inputs) return out;
  mkdirSync(outDir, { recursive: true });
  const rootfs = mkdtempSync(join(tmpdir(), `kubun-${image.folder}-image-`));
  try {
    for (const d of ["bin", "etc", "tmp", "proc", "sys", "dev"]) mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync(BUN, join(rootfs, "bin/bun"));
    for (const lib of await sharedLibraries()) {
      mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
      copyFileSync(lib, join(rootfs, lib)); // follows the host's symlink to the real file
    }
    for (const [src, dest] of image.files) {
      mkdirSync(join(rootfs, dirname(dest)), { recursive: true });
      copyFileSync(src, join(rootfs, dest));
    }
    writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/tmp:/bin/false\n");
    buildImage({ rootfs, name: image.name, entrypoint: image.entrypoint, env: ["PATH=/bin", "HOME=/tmp", ...(image.env ?? [])], out });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return out;
}
