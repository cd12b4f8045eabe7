import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { mountUi, uiBundle } from "./index.ts";
import { diffLines } from "./web/diff.ts";
import { parseSchedulingMessage } from "./web/scheduling-message.ts";

describe("the dashboard's files", () => {
  test("are built from src/ui/web and served under /ui/ with a strict CSP", async () => {
    const app = new Hono();
    mountUi(app);
    const page = await app.request("/ui/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/ui/app.js">');
    const js = await app.request("/ui/app.js");
    expect(js.headers.get("content-type")).toStartWith("text/javascript");
    expect((await js.text()).length).toBe((await uiBundle()).js.length);
    const gz = await app.request("/ui/app.js", { headers: { "accept-encoding": "gzip, br" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer())))).toBe((await uiBundle()).js);
    expect((await app.request("/ui")).status).toBe(302);
  });
});

describe("parseSchedulingMessage", () => {
  test.each([
    ["0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.", "0", 3, [{ count: 1, reason: "Insufficient cpu" }, { count: 2, reason: "node(s) had untolerated taint {dedicated: gpu}" }], undefined],
    ["0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", "0", 1, [{ count: 1, reason: "Insufficient cpu" }], "0/1 nodes are available: 1 No preemption victims found for incoming pod."],
    ["no nodes available to schedule pods", undefined, undefined, [{ count: 0, reason: "no nodes available to schedule pods" }], undefined],
  ])("%s", (message, available, total, reasons, preemption) => {
    const parsed = parseSchedulingMessage(message);
    expect(parsed.available).toBe(available);
    expect(parsed.total).toBe(total);
    expect(parsed.reasons).toEqual(reasons);
    expect(parsed.preemption).toBe(preemption);
  });
});

describe("diffLines", () => {
  test("keeps common lines and marks removed and added ones", () => {
    expect(diffLines("a\nb\nc", "a\nx\nc\nd")).toEqual([
      { op: " ", text: "a" },
      { op: "-", text: "b" },
      { op: "+", text: "x" },
      { op: " ", text: "c" },
      { op: "+", text: "d" },
    ]);
    expect(diffLines("", "a").filter((l) => l.op !== " ")).toEqual([{ op: "-", text: "" }, { op: "+", text: "a" }]);
  });
});
