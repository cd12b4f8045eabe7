// The web dashboard in a real browser (Debian's Chromium driven by playwright-core) against a
// real server, scheduler, controllers and agent with containerd: log-in, live lists, scale, logs,
// exec, why-Pending, history with a diff, and RBAC deciding what a service account may do.
// With KUBUN_SCREENSHOTS=1 the test writes the README's screenshots to docs/screenshots/.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";

const CHROMIUM = "/usr/bin/chromium";
// The flags Chromium needs on this closed network, as root, headless.
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const SHOTS = process.env.KUBUN_SCREENSHOTS ? join(import.meta.dir, "..", "docs", "screenshots") : undefined;

let c: AgentCluster;
let browser: Browser;
let page: Page;

const kubectl = (...args: string[]) => c.server.kubectlOk(args);
const apply = (manifest: unknown) => c.server.kubectlOk(["apply", "-f", "-"], JSON.stringify(manifest));
async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function logIn(token: string): Promise<void> {
  await page.goto(`${c.server.url}/ui/`);
  await page.fill("#token", token);
  await page.click("#login");
}

beforeAll(async () => {
  c = await startAgentCluster({ logPort: 0, serverOptions: { controllers: { workers: 2 }, scheduler: {} } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await c?.close();
}, 60_000);

describe("dashboard", () => {
  test("a wrong token gets the log-in error; the admin token logs in", async () => {
    await logIn("not-a-token");
    await page.waitForSelector("#login-error:text('not accepted')");
    expect(await page.textContent("#login-error")).toContain("401");
    await logIn(c.server.adminToken);
    await page.waitForSelector("#user");
    expect(await page.textContent("#user")).toBe("admin");
    await page.waitForSelector("#nodes .vrows .row");
  }, 30_000);

  test("a Deployment appears, and its pods turn Running, without a reload", async () => {
    await page.goto(`${c.server.url}/ui/#/r/apps/v1/deployments`);
    await page.waitForSelector("#list-status:text('live')");
    await apply({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "talker", image: "local/busybox:1", command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo line-$i; sleep 1; done"] }] } },
      },
    });
    await page.waitForSelector(".vrows a:text-is('web')", { timeout: 15_000 });
    await page.goto(`${c.server.url}/ui/#/r/core/v1/pods`);
    await page.waitForSelector(".vrows .row:has-text('web-'):has-text('Running')", { timeout: 45_000 });
    await shot("pods");
  }, 60_000);

  test("scaling from the UI makes the pods follow", async () => {
    await page.goto(`${c.server.url}/ui/#/o/apps/v1/deployments/default/web`);
    await page.waitForSelector("#scale-replicas");
    await page.fill("#scale-replicas", "2");
    await page.click("#scale");
    await page.waitForSelector("#action-message:text('Scaled to 2')");
    await page.goto(`${c.server.url}/ui/#/r/core/v1/pods`);
    // Runs in the page (a function, not a string: the dashboard's CSP forbids eval).
    await page.waitForFunction(() => {
      const rows = [...(globalThis as any).document.querySelectorAll(".vrows .row")] as { textContent: string }[];
      return rows.length === 2 && rows.every((r) => r.textContent.includes("Running"));
    }, undefined, { timeout: 45_000 });
    expect(JSON.parse(await kubectl("get", "deploy", "web", "-o", "json")).spec.replicas).toBe(2);
  }, 60_000);

  test("a pod's log follows, and the exec terminal runs a command", async () => {
    const pod = JSON.parse(await kubectl("get", "pods", "-l", "app=web", "-o", "json")).items[0].metadata.name;
    await page.goto(`${c.server.url}/ui/#/o/core/v1/pods/default/${pod}`);
    await page.click("button[data-tab='logs']");
    await page.waitForSelector("#log:has-text('line-2')", { timeout: 15_000 });
    const first = (await page.textContent("#log"))!.trim().split("\n").length;
    // Follow: lines written after the page opened keep arriving.
    await page.waitForFunction((n) => (globalThis as any).document.querySelector("#log").textContent.trim().split("\n").length >= n + 2, first, { timeout: 15_000 });
    await shot("logs");
    await page.click("button[data-tab='exec']");
    await page.click("#exec-connect");
    await page.waitForSelector("#exec-state:text('connected')");
    await page.fill("#terminal-input", "echo from-exec-$((40+2))");
    await page.press("#terminal-input", "Enter");
    await page.waitForSelector("#terminal:has-text('from-exec-42')", { timeout: 15_000 });
  }, 60_000);

  test("a Pending pod shows why, in the scheduler's words", async () => {
    await apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "huge", namespace: "default" }, spec: { containers: [{ name: "c", image: "local/busybox:1", resources: { requests: { cpu: "500" } } }] } });
    for (let i = 0; i < 100; i++) {
      const pod = JSON.parse(await kubectl("get", "pod", "huge", "-o", "json"));
      if ((pod.status.conditions ?? []).some((cond: any) => cond.type === "PodScheduled" && cond.status === "False")) break;
      await Bun.sleep(200);
    }
    await page.goto(`${c.server.url}/ui/#/o/core/v1/pods/default/huge`);
    await page.click("button[data-tab='pending']");
    await page.waitForSelector("#pending-reasons");
    expect(await page.textContent("#scheduler-message")).toContain("0/1 nodes are available: 1 Insufficient cpu.");
    expect(await page.textContent("#pending-summary")).toContain("0 of 1 nodes");
    // Node by node, with the numbers: this node's 2 CPUs against the 500 asked for.
    expect(await page.textContent("#pending-reasons")).toContain(`${c.agent.nodeName}: needs 500 CPU`);
    const raw = JSON.parse(await kubectl("get", "--raw", "/api/v1/namespaces/default/pods/huge/scheduling"));
    expect(raw.groups[0].reason).toBe("Insufficient cpu");
    expect(raw.feasible).toBe(0);
    await shot("why-pending");
    // The overview, live: the Deployment's pods Running, the Pending one, its warning.
    await page.goto(`${c.server.url}/ui/#/`);
    await page.waitForSelector("[data-phase='Running'] strong:text-is('2')");
    await page.waitForSelector("[data-phase='Pending'] strong:text-is('1')");
    await page.waitForSelector("#warnings td:text('FailedScheduling')");
    await shot("overview");
  }, 60_000);

  test("an object's history after two edits shows three versions and the diff", async () => {
    await kubectl("create", "configmap", "settings", "--from-literal=color=red");
    await kubectl("patch", "configmap", "settings", "--type=merge", "-p", '{"data":{"color":"green"}}');
    await kubectl("patch", "configmap", "settings", "--type=merge", "-p", '{"data":{"size":"large"}}');
    await page.goto(`${c.server.url}/ui/#/o/core/v1/configmaps/default/settings`);
    await page.click("button[data-tab='history']");
    await page.waitForSelector("#history li");
    expect(await page.locator("#history li").count()).toBe(3);
    const diff = await page.textContent("#history-diff");
    expect(diff).toContain("+   size: large");
    await page.click("#history li[data-index='1']");
    await page.waitForSelector("#history-diff:has-text('-   color: red')");
    expect(await page.textContent("#history-diff")).toContain("+   color: green");
    // The same history is readable with curl / kubectl get --raw.
    const raw = JSON.parse(await kubectl("get", "--raw", "/api/v1/namespaces/default/configmaps/settings/history"));
    expect(raw.items.map((i: any) => i.object.data)).toEqual([{ color: "red" }, { color: "green" }, { color: "green", size: "large" }]);
  }, 30_000);

  test("editing YAML from a stale version shows the conflict instead of overwriting", async () => {
    await page.goto(`${c.server.url}/ui/#/o/core/v1/configmaps/default/settings`);
    await page.click("button[data-tab='edit']");
    await page.waitForSelector("#editor");
    await kubectl("patch", "configmap", "settings", "--type=merge", "-p", '{"data":{"size":"small"}}');
    const text = await page.inputValue("#editor");
    await page.fill("#editor", text.replace("color: green", "color: blue"));
    await page.click("#save");
    await page.waitForSelector("#editor-result:has-text('the object has been modified')");
    expect(JSON.parse(await kubectl("get", "cm", "settings", "-o", "json")).data).toEqual({ color: "green", size: "small" });
  }, 30_000);

  test("a read-only service account sees lists but gets the server's Forbidden on delete", async () => {
    await kubectl("create", "serviceaccount", "viewer");
    await kubectl("create", "rolebinding", "viewer", "--clusterrole=view", "--serviceaccount=default:viewer");
    const token = (await kubectl("create", "token", "viewer")).trim();
    await page.click("#logout");
    await logIn(token);
    await page.waitForSelector("#user:text('system:serviceaccount:default:viewer')");
    // The viewer may not list namespaces: the picker offers its own.
    await page.waitForSelector("#namespace option[value='default']", { state: "attached" });
    await page.goto(`${c.server.url}/ui/#/r/core/v1/configmaps`);
    await page.waitForSelector(".vrows a:text-is('settings')");
    await page.goto(`${c.server.url}/ui/#/o/core/v1/configmaps/default/settings`);
    await page.waitForSelector("#delete");
    page.once("dialog", (d) => d.accept());
    await page.click("#delete");
    await page.waitForSelector("#action-message.error");
    expect(await page.textContent("#action-message")).toContain('cannot delete resource "configmaps"');
    expect(await kubectl("get", "cm", "settings", "-o", "name")).toContain("configmap/settings");
  }, 30_000);
});
