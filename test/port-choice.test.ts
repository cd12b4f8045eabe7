// Tests and benches never start an agent on kubelet's default log port (10250): several run at
// once on one machine (a bench beside the agent e2e tests), and the second to bind it fails.
// An agent process started with --ca-file (`kubun agent`, install.sh's KUBUN_CA_FILE) or by
// `kubun up` listens on 10250 unless told otherwise, so every file that starts one names a log
// port (0: a free one; the agent reports the port it got in its Node's daemonEndpoints). In-
// process agents (startAgent) serve logs only when given a logPort, so they need nothing.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" ? [] : sources(path);
    return e.name.endsWith(".ts") && path !== import.meta.path ? [path] : [];
  });
}

/** How a file can start an agent process that would listen on the default port. */
const STARTS_AGENT: [string, RegExp][] = [
  ["`kubun agent --ca-file`", /"--ca-file"/],
  ["`kubun up`", /main\.ts",\s*"up"/],
  ["install.sh with KUBUN_CA_FILE", /KUBUN_CA_FILE/],
];

test("every test and bench that starts an agent process gives it a log port other than 10250", () => {
  const offenders: string[] = [];
  for (const file of [...sources(join(ROOT, "test")), ...sources(join(ROOT, "bench"))]) {
    const text = readFileSync(file, "utf8");
    for (const [what, pattern] of STARTS_AGENT) {
      if (pattern.test(text) && !/--log-port/.test(text)) offenders.push(`${relative(ROOT, file)}: starts ${what} without --log-port`);
    }
  }
  expect(offenders).toEqual([]);
});
