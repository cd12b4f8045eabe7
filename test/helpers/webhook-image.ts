// A test image that serves admission webhooks from a pod: the bun binary from node_modules with
// the glibc it links against, and test/helpers/webhook-pod-server.ts as its program. Built only
// for the webhook pod e2e (100+ MB: it stays out of build/images, which every agent test imports).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildImage } from "../../agent/images/index.ts";

export const WEBHOOK_IMAGE = "local/webhook:1";
const ROOT = resolve(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/bun/bin/bun.exe");
const SERVER = join(import.meta.dir, "webhook-pod-server.ts");

/** The shared libraries `ldd` names for the bun binary, with the dynamic loader. */
async function sharedLibraries(): Promise<string[]> {
  const proc = Bun.spawn(["ldd", BUN], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`ldd ${BUN} failed`);
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
}

/** Builds build/images-webhook/webhook.tar unless it is newer than bun and the server script; its folder. */
export async function buildWebhookImage(outDir = join(ROOT, "build/images-webhook")): Promise<string> {
  const out = join(outDir, "webhook.tar");
  const inputs = Math.max(statSync(BUN).mtimeMs, statSync(SERVER).mtimeMs, statSync(import.meta.path).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= inputs) return outDir;
  mkdirSync(outDir, { recursive: true });
  const rootfs = mkdtempSync(join(tmpdir(), "kubun-webhook-image-"));
  try {
    for (const d of ["bin", "etc", "tmp", "proc", "sys", "dev", "app"]) mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync(BUN, join(rootfs, "bin/bun"));
    for (const lib of await sharedLibraries()) {
      mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
      copyFileSync(realpathSync(lib), join(rootfs, lib));
    }
    copyFileSync(SERVER, join(rootfs, "app/server.ts"));
    writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/tmp:/bin/false\n");
    buildImage({
      rootfs,
      name: WEBHOOK_IMAGE,
      entrypoint: ["/bin/bun", "/app/server.ts"],
      env: ["PATH=/bin", "HOME=/tmp", "BUN_RUNTIME_TRANSPILER_CACHE_PATH=0"],
      out,
    });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return outDir;
}
