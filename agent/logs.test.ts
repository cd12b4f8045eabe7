import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentLogHandler, formatLines, parseCriLog } from "./logs.ts";

const LOG = [
  "2024-01-01T00:00:00.000000001Z stdout F one",
  "2024-01-01T00:00:01.000000000Z stderr P tw",
  "2024-01-01T00:00:01.100000000Z stderr F o",
  "2024-01-01T00:00:02.000000000Z stdout F three",
  "",
].join("\n");

describe("CRI log files", () => {
  test("partial lines are joined", () => {
    expect(parseCriLog(LOG).map((l) => l.text)).toEqual(["one", "two", "three"]);
  });

  test.each([
    [{}, "one\ntwo\nthree\n"],
    [{ tailLines: 1 }, "three\n"],
    [{ tailLines: 0 }, ""],
    [{ timestamps: true, tailLines: 1 }, "2024-01-01T00:00:02.000000000Z three\n"],
    [{ sinceSeconds: 1 }, "two\nthree\n"],
  ])("options %j", (opts, want) => {
    expect(formatLines(parseCriLog(LOG), opts, Date.parse("2024-01-01T00:00:02Z"))).toBe(want);
  });
});

describe("agentLogHandler", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubun-logs-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "logs/default_web_uid1/app"), { recursive: true });
  writeFileSync(join(dir, "logs/default_web_uid1/app/0.log"), "2024-01-01T00:00:00Z stdout F first run\n");
  writeFileSync(join(dir, "logs/default_web_uid1/app/1.log"), LOG);
  const handler = agentLogHandler({ dataDir: dir });
  const get = (path: string) => handler(new Request(`http://agent${path}`));

  test.each([
    ["/containerLogs/default/web/app", 200, "one\ntwo\nthree\n"],
    ["/containerLogs/default/web/app?previous=true", 200, "first run\n"],
    ["/containerLogs/default/web/app?tailLines=2", 200, "two\nthree\n"],
    ["/containerLogs/default/web/nope", 404, undefined],
    ["/containerLogs/other/web/app", 404, undefined],
  ])("GET %s → %d", async (path, code, body) => {
    const res = await get(path);
    expect(res.status).toBe(code);
    if (body !== undefined) expect(await res.text()).toBe(body);
  });
});
