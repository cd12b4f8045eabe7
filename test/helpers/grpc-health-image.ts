// The local/bun-grpc-health:1 test image: the bun binary from node_modules, the C libraries it
// links against, and test/fixtures/grpc-health-server.js, a gRPC health server on h2c made with
// node:http2 alone. It lets e2e tests probe a real pod's grpc.health.v1.Health service. Built
// into build/images/ on first use (the bun binary makes it ~100 MB, so prepare.ts doesn't build
// it for everyone) and rebuilt when bun or the script changes.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildImage } from "../../agent/images/index.ts";

export const GRPC_HEALTH_IMAGE = "local/bun-grpc-health:1";

const ROOT = resolve(import.meta.dir, "../..");
const BUN = join(ROOT, "node_modules/bun/bin/bun.exe");
const SCRIPT = join(ROOT, "test/fixtures/grpc-health-server.js");

/** The shared libraries the bun binary needs, as ldd resolves them (loader included). */
async function libraries(): Promise<string[]> {
  const proc = Bun.spawn(["ldd", BUN], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`ldd ${BUN} failed`);
  return [...out.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!);
}

export async function buildGrpcHealthImage(outDir = join(ROOT, "build/images")): Promise<string> {
  const out = join(outDir, "bun-grpc-health.tar");
  const inputs = Math.max(statSync(BUN).mtimeMs, statSync(SCRIPT).mtimeMs, statSync(import.meta.path).mtimeMs);
  if (existsSync(out) && statSync(out).mtimeMs >= inputs) return out;
  mkdirSync(outDir, { recursive: true });
  const rootfs = mkdtempSync(join(tmpdir(), "kubun-grpc-image-"));
  try {
    for (const d of ["bin", "tmp", "etc", "proc", "sys", "dev"]) mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync(BUN, join(rootfs, "bin/bun"));
    for (const lib of await libraries()) {
      mkdirSync(join(rootfs, dirname(lib)), { recursive: true });
      copyFileSync(lib, join(rootfs, lib)); // follows the host's symlink to the real file
    }
    copyFileSync(SCRIPT, join(rootfs, "health-server.js"));
    writeFileSync(join(rootfs, "etc/passwd"), "root:x:0:0:root:/:/bin/false\n");
    buildImage({ rootfs, name: GRPC_HEALTH_IMAGE, entrypoint: ["/bin/bun", "/health-server.js"], env: ["HOME=/tmp"], out });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return out;
}
