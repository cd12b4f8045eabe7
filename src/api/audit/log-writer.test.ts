import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openAuditLog } from "./log-writer.ts";

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test("rotates by size, keeping the newest backups; every event is one whole line in some file", () => {
  dir = mkdtempSync(join(tmpdir(), "kubun-audit-"));
  let clock = Date.parse("2026-12-06T10:00:00Z");
  const log = openAuditLog({ path: join(dir, "audit.log"), maxSizeMB: 1, maxBackups: 2, now: () => new Date((clock += 1000)) });
  const pad = "x".repeat(1000);
  for (let i = 0; i < 4000; i++) log.write({ i, pad }); // ~4 MB: three rotations
  log.close();
  const files = readdirSync(dir).sort();
  expect(files).toEqual(["audit-2026-12-06T10-00-02.000.log", "audit-2026-12-06T10-00-03.000.log", "audit.log"]);
  const seen: number[] = [];
  for (const f of files) {
    const text = readFileSync(join(dir, f), "utf8");
    expect(text.length).toBeLessThanOrEqual(1024 * 1024);
    for (const line of text.trimEnd().split("\n")) seen.push((JSON.parse(line) as { i: number }).i);
  }
  // The two oldest files were pruned; what is left runs without a gap up to the last event.
  expect(seen.at(-1)).toBe(3999);
  expect(seen).toEqual(Array.from({ length: seen.length }, (_, k) => 4000 - seen.length + k));
});
