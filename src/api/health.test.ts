// The health endpoints' answers (kube-apiserver's format) and the event-loop stall monitor.
import { expect, test } from "bun:test";
import { answerHealth, answerOneCheck, EventLoopMonitor, type HealthCheck } from "./health.ts";

const checks = (failing: string[] = []): HealthCheck[] =>
  ["ping", "etcd", "shutdown"].map((name) => ({ name, check: () => (failing.includes(name) ? `${name} is down` : undefined) }));

const q = (s = "") => new URLSearchParams(s);

test.each([
  ["all pass, terse", [], "", 200, "ok"],
  ["all pass, verbose", [], "verbose", 200, "[+]ping ok\n[+]etcd ok\n[+]shutdown ok\nreadyz check passed\n"],
  ["one fails: the list, reasons withheld, even without verbose", ["etcd"], "", 500, "[+]ping ok\n[-]etcd failed: reason withheld\n[+]shutdown ok\nreadyz check failed\n"],
  ["an excluded failing check", ["etcd"], "exclude=etcd", 200, "[+]ping ok\n[+]etcd excluded: ok\n[+]shutdown ok\nreadyz check passed\n"],
  [
    "an exclusion that matches nothing",
    [],
    "exclude=nope",
    200,
    '[+]ping ok\n[+]etcd ok\n[+]shutdown ok\nwarning: some health checks cannot be excluded: no matches for "nope"\nreadyz check passed\n',
  ],
] as const)("%s", async (_name, failing, query, status, body) => {
  const res = answerHealth("readyz", checks([...failing]), q(query));
  expect(res.status).toBe(status);
  expect(await res.text()).toBe(body);
});

test("one check by name tells its reason", async () => {
  expect(await answerOneCheck(checks(), "etcd")!.text()).toBe("ok");
  const res = answerOneCheck(checks(["etcd"]), "etcd")!;
  expect(res.status).toBe(500);
  expect(await res.text()).toBe("internal server error: etcd is down\n");
  expect(answerOneCheck(checks(), "nope")).toBeUndefined();
});

test("the event-loop monitor fails after a long stall, and recovers once the window has passed", () => {
  let now = 0;
  const m = new EventLoopMonitor({ intervalMs: 100, maxStallMs: 1000, windowMs: 5000, now: () => now });
  try {
    now = 100;
    m.observe();
    expect(m.failure()).toBeUndefined();
    now = 1500; // the timer fired 1.3 s late
    expect(m.failure()).toBe("the event loop stalled for 1.3s");
    for (now = 1600; now <= 6600; now += 100) m.observe();
    expect(m.failure()).toBeUndefined();
  } finally {
    m.stop();
  }
});
