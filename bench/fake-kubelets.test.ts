// The end-to-end bench's fake kubelets against a bare HTTPS server that counts what reaches it:
// they keep at most `clients` writes in flight however many are due at once (a burst of bound
// pods), write each pod's status once, renew Leases as they go, and reuse their connections
// rather than opening one per write past Bun's pool (the churn behind ~750 TLS connections a
// run, see bench/README.md).
import { expect, test } from "bun:test";
import { createCA, issueCertificate } from "../src/pki/certificates.ts";
import { startKubelets } from "./fake-kubelets.ts";

test("the fake kubelets bound their writes in flight, write each pod's status once and reuse connections", async () => {
  const ca = await createCA();
  const serving = await issueCertificate(ca, { commonName: "bench", hosts: ["127.0.0.1"], usage: "server" });
  let inFlight = 0;
  let most = 0;
  const ports = new Set<number>();
  const statusWrites = new Map<string, number>();
  let renewals = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: serving.cert, key: serving.key },
    async fetch(req, srv) {
      ports.add(srv.requestIP(req)!.port);
      const path = new URL(req.url).pathname;
      if (req.method === "POST") return new Response("{}", { status: 201 });
      inFlight++;
      most = Math.max(most, inFlight);
      await req.text();
      await Bun.sleep(2); // a server that takes its time: writes due meanwhile pile up
      inFlight--;
      if (path.endsWith("/status") && path.includes("/pods/")) statusWrites.set(path, (statusWrites.get(path) ?? 0) + 1);
      if (path.includes("/leases/")) renewals++;
      return new Response("{}");
    },
  });
  try {
    const names = Array.from({ length: 50 }, (_, i) => `node-${i}`);
    const clients = 8;
    const kubelets = await startKubelets(`https://127.0.0.1:${server.port}`, "token", ca.cert, names, clients);
    const portsBefore = ports.size;
    const pods = 400;
    // A burst of bindings: every pod marked Running at once.
    for (let i = 0; i < pods; i++) {
      kubelets.markRunning({ metadata: { namespace: "bench", name: `pod-${i}` }, spec: { containers: [{ name: "c", image: "busybox" }] }, status: { qosClass: "BestEffort" } }, i);
    }
    expect(kubelets.runningPending()).toBe(pods);
    for (const until = performance.now() + 20_000; kubelets.runningPending() > 0 && performance.now() < until; ) await Bun.sleep(20);
    const counts = kubelets.stop();
    expect(kubelets.runningPending()).toBe(0);
    expect(counts.podsRunning).toBe(pods);
    expect(statusWrites.size).toBe(pods);
    expect([...statusWrites.values()].every((n) => n === 1)).toBe(true);
    expect(most).toBeLessThanOrEqual(clients);
    expect(renewals).toBeGreaterThan(0);
    // The writes' own connections: no more than the writes in flight (unbounded, a burst of 400
    // opened hundreds).
    expect(ports.size - portsBefore).toBeLessThanOrEqual(clients);
  } finally {
    server.stop(true);
  }
}, 30_000);
