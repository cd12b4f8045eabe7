// An agent whose node came back with another podCIDR finds its CNI bridge still holding the old
// range's gateway; the bridge plugin would then fail every sandbox. removeStaleBridge clears it.
// Run in a network namespace of the test's own, so nothing on the host is touched.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";

const NS = `kubun-stalebr-${process.pid}`;
const BRIDGE = "kbnstale0";
const ROOT = resolve(import.meta.dir, "..");

const run = async (...argv: string[]) => {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")}: ${err}`);
  return out;
};
const inNs = (...argv: string[]) => run("ip", "netns", "exec", NS, ...argv);

/** removeStaleBridge run inside the namespace; what it logged. */
const removeIn = (podCIDR: string) =>
  inNs(process.execPath, "-e", `import { removeStaleBridge } from "${ROOT}/agent/cni.ts"; await removeStaleBridge("${BRIDGE}", "${podCIDR}", (m) => console.log(m));`);

beforeAll(async () => {
  await run("ip", "netns", "add", NS);
});

afterAll(async () => {
  await run("ip", "netns", "del", NS).catch(() => {});
});

test("a bridge with another range's gateway is removed; one with this range's is kept; none is fine", async () => {
  expect(await removeIn("10.213.43.0/24")).toBe(""); // no bridge yet
  await inNs("ip", "link", "add", BRIDGE, "type", "bridge");
  await inNs("ip", "addr", "add", "10.213.43.1/24", "dev", BRIDGE);
  expect(await removeIn("10.213.43.0/24")).toBe("");
  expect(await inNs("ip", "-br", "link")).toContain(BRIDGE);

  const logged = await removeIn("10.42.1.0/24");
  expect(logged).toContain(`bridge ${BRIDGE} had 10.213.43.1, not this node's podCIDR 10.42.1.0/24: removed it`);
  expect(await inNs("ip", "-br", "link")).not.toContain(BRIDGE);
});
