// The dashboard at the scale — 5,000 nodes and 50,000 pods, in Debian's Chromium: the pod
// list is virtualised (a few dozen rows in the DOM, whatever the count), stays live, scrolls to
// its last row; the overview counts them all. The nodes and pods are API objects only (no agent
// could run 50,000 pods here): the thing under test is the browser side, not the kubelet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const NODES = 5_000;
const PODS = 50_000;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

let server: TestServer;
let browser: Browser;
let page: Page;

async function concurrently(count: number, workers: number, each: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < count) await each(next++);
  }));
}

async function post(path: string, body: unknown): Promise<void> {
  const res = await server.api(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

const pad = (i: number) => String(i).padStart(5, "0");

beforeAll(async () => {
  server = await startTestServer();
  const ready = [{ type: "Ready", status: "True", reason: "KubeletReady", message: "fake node" }];
  await concurrently(NODES, 32, (i) => post("/api/v1/nodes", { metadata: { name: `node-${pad(i)}` }, status: { capacity: { cpu: "8", memory: "32Gi", pods: "110" }, allocatable: { cpu: "8", memory: "32Gi", pods: "110" }, conditions: ready } }));
  await concurrently(PODS, 32, (i) => post("/api/v1/namespaces/default/pods", { metadata: { name: `pod-${pad(i)}` }, spec: { nodeName: `node-${pad(i % NODES)}`, containers: [{ name: "c", image: "local/busybox:1" }] } }));
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS, headless: true });
  page = await (await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${server.url}/ui/`);
  await page.fill("#token", server.adminToken);
  await page.click("#login");
  await page.waitForSelector("#user");
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, 60_000);

describe("the dashboard at 5,000 nodes and 50,000 pods", () => {
  test("the pod list holds 50,000 rows but draws only those in view, and stays live", async () => {
    await page.goto(`${server.url}/ui/#/r/core/v1/pods`);
    await page.waitForSelector(`#list-status:text('${PODS} items')`, { timeout: 60_000 });
    const drawn = await page.locator(".vrows .row").count();
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(100);
    // Scrolling to the end draws the last rows.
    await page.evaluate(() => {
      const scroll = (globalThis as any).document.querySelector(".vscroll");
      scroll.scrollTop = scroll.scrollHeight;
    });
    await page.waitForSelector(`.vrows a:text-is('pod-${pad(PODS - 1)}')`);
    // A pod created now appears without a reload.
    await post("/api/v1/namespaces/default/pods", { metadata: { name: "pod-zz-late" }, spec: { nodeName: "node-00000", containers: [{ name: "c", image: "local/busybox:1" }] } });
    await page.waitForSelector(`#list-status:text('${PODS + 1} items')`, { timeout: 30_000 });
  }, 120_000);

  test("the overview counts every node and pod, with a virtualised node table", async () => {
    await page.goto(`${server.url}/ui/#/`);
    await page.waitForSelector(`[data-nodes='ready'] strong:text-is('${NODES}')`, { timeout: 60_000 });
    await page.waitForSelector(`[data-phase='Pending'] strong:text-is('${PODS + 1}')`, { timeout: 60_000 });
    expect(await page.locator("#nodes .vrows .row").count()).toBeLessThan(60);
  }, 120_000);
});
