// Leader election against a real API server (in-process, SQLite): one candidate leads at a
// time, a standby takes over once the leader stops renewing, and a leader that finds another
// holder stops at once. Short lease timings: what is asserted is who acts, not how fast.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Lease } from "../apis/coordination/lease.ts";
import { startTestServer, type TestServer } from "../../test/helpers/server.ts";
import { KubeClient } from "./kube-client.ts";
import { runLeaderElection } from "./leader-election.ts";
import { resourceFor } from "./paths.ts";

let s: TestServer;
let client: KubeClient;
beforeAll(async () => {
  s = await startTestServer();
  client = new KubeClient({ server: s.url, token: s.adminToken, ca: s.ca.cert });
});
afterAll(async () => {
  await client.close();
  await s.close();
});

const timings = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

/** A stand-in for a controller manager: counts the terms it was started for and whether one is running. */
function work() {
  const state = { terms: 0, active: false };
  return {
    state,
    start: () => {
      state.terms++;
      state.active = true;
      return {
        stop: async () => {
          state.active = false;
        },
      };
    },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await Bun.sleep(20);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

test("one leader at a time; a standby takes over once the leader stops renewing", async () => {
  const a = work();
  const b = work();
  const ea = runLeaderElection(client, { name: "le-takeover", identity: "a", ...timings }, a.start);
  await until(() => ea.leading, "a to lead");
  const eb = runLeaderElection(client, { name: "le-takeover", identity: "b", ...timings }, b.start);
  // Several of b's retry periods: it stays a standby while a renews.
  await Bun.sleep(500);
  expect([a.state.active, b.state.active]).toEqual([true, false]);
  const lease = await client.get<Lease>(resourceFor("Lease"), "kube-system", "le-takeover");
  expect(lease.spec).toMatchObject({ holderIdentity: "a", leaseDurationSeconds: 2, leaseTransitions: 0 });

  await ea.stop(); // a dies: no more renewals, the lease stays a's until it expires
  expect(a.state.active).toBe(false);
  await until(() => b.state.active, "b to take over");
  const taken = await client.get<Lease>(resourceFor("Lease"), "kube-system", "le-takeover");
  expect(taken.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  await eb.stop();
});

test("a leader that finds another holder stops acting at once", async () => {
  const a = work();
  const ea = runLeaderElection(client, { name: "le-lost", identity: "a", ...timings }, a.start);
  await until(() => ea.leading && a.state.active, "a to lead");
  // Another candidate takes the lease (as after a partition that outlasted the lease).
  const lease = await client.get<Lease>(resourceFor("Lease"), "kube-system", "le-lost");
  await client.update(resourceFor("Lease"), { ...lease, spec: { ...lease.spec, holderIdentity: "usurper", renewTime: lease.spec!.renewTime } });
  await until(() => !a.state.active, "a to stop");
  expect(ea.leading).toBe(false);
  await ea.stop();
});
