// Makes a fresh Debian machine ready: host packages, the WebAssembly modules and, for the
// test suite, everything the tests need. Idempotent: each step is skipped when already done.
//   bun scripts/prepare.ts          before `kubun up`
//   bun scripts/prepare.ts --test   before `bun test`
import { existsSync } from "node:fs";

const HOST_PACKAGES: Record<string, string> = {
  // binary that proves the package is there → Debian package
  "/usr/bin/containerd": "containerd",
  "/usr/sbin/runc": "runc",
  "/usr/lib/cni/bridge": "containernetworking-plugins",
  "/usr/sbin/iptables": "iptables",
  "/usr/sbin/ipset": "ipset", // NetworkPolicy enforcement (agent/netpol)
  "/bin/busybox": "busybox-static",
  "/bin/ip": "iproute2", // CNI, the service proxy's interface, host routes, test network namespaces
};

// Only the test suite needs these (--test).
const TEST_PACKAGES: Record<string, string> = {
  "/usr/bin/chromium": "chromium", // the dashboard's browser tests (driven by playwright-core)
  "/usr/bin/docker-registry": "docker-registry", // the registry e2e tests pull from (CNCF distribution)
  "/usr/bin/skopeo": "skopeo", // copies the test images into it
  "/usr/lib/postgresql": "postgresql", // the PostgreSQL datastore's tests start private instances of it
};

async function run(cmd: string[], env: Record<string, string> = {}): Promise<void> {
  console.log(`prepare: ${cmd.join(" ")}`);
  const proc = Bun.spawn(cmd, { stdout: "inherit", stderr: "inherit", stdin: "ignore", env: { ...process.env, ...env } });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code}`);
}

async function hostPackages(forTests: boolean): Promise<void> {
  const wanted = forTests ? { ...HOST_PACKAGES, ...TEST_PACKAGES } : HOST_PACKAGES;
  const missing = Object.entries(wanted)
    .filter(([path]) => !existsSync(path) && !(path === "/usr/sbin/runc" && existsSync("/usr/bin/runc")))
    .map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.warn(`prepare: not root, cannot install ${missing.join(" ")}; the agent needs them`);
    return;
  }
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await run(["apt-get", "update", "-qq"], env);
  await run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", ...missing], env);
}

async function wasm(): Promise<void> {
  if (existsSync("wasm/build.ts")) await run([process.execPath, "wasm/build.ts"]);
}

/** The local images the agent imports (no registry is reachable here): pause and busybox. */
async function images(): Promise<void> {
  await run([process.execPath, "scripts/build-test-images.ts"]);
}

async function main(): Promise<void> {
  await hostPackages(process.argv.includes("--test"));
  await wasm();
  await images();
}

await main();
