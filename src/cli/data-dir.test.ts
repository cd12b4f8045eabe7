import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateHosts } from "../pki/index.ts";
import { prepareDataDir } from "./data-dir.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("--tls-san: the serving certificate also names a load balancer, and is issued again when one is added", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kubun-datadir-"));
  dirs.push(dir);
  const first = await prepareDataDir(dir, "127.0.0.1");
  expect(certificateHosts(first.serving.cert)).not.toContain("lb.example.com");
  const again = await prepareDataDir(dir, "127.0.0.1", ["lb.example.com", "10.9.9.9"]);
  expect(certificateHosts(again.serving.cert)).toEqual(expect.arrayContaining(["127.0.0.1", "lb.example.com", "10.9.9.9"]));
  expect(again.ca.cert).toBe(first.ca.cert);
});
