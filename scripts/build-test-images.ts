// Builds the local test images into build/images/ (or the folder given) from the static busybox:
//   pause.tar    docker.io/local/pause:1     the sandbox image: sleeps forever
//   busybox.tar  docker.io/local/busybox:1   every applet; by default serves its hostname over
//                                             HTTP on port 80 (/var/www/index.html)
// Skips images that are newer than busybox and the builder's sources.
//   bun scripts/build-test-images.ts [OUTDIR]
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildImage } from "../agent/images/index.ts";

export const PAUSE_IMAGE = "local/pause:1";
export const BUSYBOX_IMAGE = "local/busybox:1";

const ROOT = resolve(import.meta.dir, "..");
const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find(existsSync);

const SERVE_HOSTNAME = `#!/bin/sh
# The busybox test image's default command: serve this pod's hostname on port 80.
mkdir -p /var/www
hostname > /var/www/index.html
exec httpd -f -p 80 -h /var/www
`;

async function applets(busybox: string): Promise<string[]> {
  const proc = Bun.spawn([busybox, "--list-full"], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`${busybox} --list-full failed`);
  return out.split("\n").filter((p) => p && p !== "bin/busybox");
}

function baseRootfs(dir: string, busybox: string): void {
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "proc", "sys", "dev", "root", "var/www"]) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, "tmp"), 0o1777);
  copyFileSync(busybox, join(dir, "bin/busybox"));
  chmodSync(join(dir, "bin/busybox"), 0o755);
  writeFileSync(join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  writeFileSync(join(dir, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
}

/** Newest mtime of the inputs an image depends on. */
function inputsMtime(busybox: string): number {
  const sources = [busybox, import.meta.path, ...readdirSync(join(ROOT, "agent/images")).map((f) => join(ROOT, "agent/images", f))];
  return Math.max(...sources.map((f) => statSync(f).mtimeMs));
}

const upToDate = (out: string, inputs: number) => existsSync(out) && statSync(out).mtimeMs >= inputs;

/** Builds pause.tar and busybox.tar into `outDir` unless they are up to date; returns their paths. */
export async function buildTestImages(outDir = join(ROOT, "build/images")): Promise<{ pause: string; busybox: string }> {
  if (!BUSYBOX) throw new Error("busybox not found (install busybox-static)");
  mkdirSync(outDir, { recursive: true });
  const inputs = inputsMtime(BUSYBOX);
  const pause = join(outDir, "pause.tar");
  const busybox = join(outDir, "busybox.tar");
  const work = mkdtempSync(join(tmpdir(), "kubun-images-"));
  try {
    if (!upToDate(pause, inputs)) {
      const rootfs = join(work, "pause");
      baseRootfs(rootfs, BUSYBOX);
      for (const a of ["sh", "sleep"]) symlinkSync("busybox", join(rootfs, "bin", a));
      buildImage({ rootfs, name: PAUSE_IMAGE, entrypoint: ["/bin/sleep", "infinity"], out: pause });
      console.log(`built ${pause}`);
    }
    if (!upToDate(busybox, inputs)) {
      const rootfs = join(work, "busybox");
      baseRootfs(rootfs, BUSYBOX);
      for (const p of await applets(BUSYBOX)) {
        mkdirSync(join(rootfs, dirname(p)), { recursive: true });
        if (!existsSync(join(rootfs, p))) symlinkSync("/bin/busybox", join(rootfs, p));
      }
      writeFileSync(join(rootfs, "bin/serve-hostname"), SERVE_HOSTNAME, { mode: 0o755 });
      buildImage({ rootfs, name: BUSYBOX_IMAGE, cmd: ["/bin/serve-hostname"], out: busybox });
      console.log(`built ${busybox}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { pause, busybox };
}

if (import.meta.main) await buildTestImages(process.argv[2] ? resolve(process.argv[2]) : undefined);
