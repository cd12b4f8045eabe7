// kill -9 under write load loses no acknowledged write; restart keeps the revision counter.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer as spawnProcess } from "./helpers/server-process.ts";

const tmp = mkdtempSync(join(tmpdir(), "kubun-crash-"));
const dataDir = join(tmp, "data");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spawnServer = () => spawnProcess(dataDir);

test("every acknowledged write survives kill -9", async () => {
  const first = await spawnServer();
  const token = readFileSync(join(dataDir, "admin.token"), "utf8").trim();
  const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
  const call = (url: string, path: string, init: RequestInit = {}) =>
    fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, tls: { ca } } as RequestInit);

  const acknowledged: string[] = [];
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const name = `w${w}-${i}`;
      try {
        const res = await call(first.url, "/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name } }) });
        if (res.status === 201) acknowledged.push(name);
      } catch {
        return; // the server is gone
      }
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => writer(w));
  while (acknowledged.length < 300) await Bun.sleep(10);
  first.proc.kill(9);
  stop = true;
  await Promise.all(writers);
  await first.proc.exited;
  const lastAcked = acknowledged.length;

  const second = await spawnServer();
  try {
    const list: any = await (await call(second.url, "/api/v1/namespaces/default/configmaps")).json();
    const present = new Set(list.items.map((i: { metadata: { name: string } }) => i.metadata.name));
    const lost = acknowledged.filter((n) => !present.has(n));
    expect(lost).toEqual([]);
    expect(lastAcked).toBeGreaterThanOrEqual(300);
    // The revision counter continues past everything that was written.
    const created: any = await (await call(second.url, "/api/v1/namespaces/default/configmaps", { method: "POST", body: JSON.stringify({ metadata: { name: "after" } }) })).json();
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(Number(list.metadata.resourceVersion));
  } finally {
    second.proc.kill();
    await second.proc.exited;
  }
}, 60_000);
