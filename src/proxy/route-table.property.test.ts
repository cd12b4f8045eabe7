// The wasm routing table must pick exactly what the TypeScript reference picks, through random
// sequences of endpoint updates, service removals, affinity changes and picks on a moving clock.
// Timeouts of a few seconds and a few dozen clients make pins expire, endpoints vanish under pins
// and affinity tables grow and get rehashed.
import { expect, test } from "bun:test";
import fc from "fast-check";
import type { Endpoint, RouteTable } from "./route-table.ts";
import { createTsRouteTable } from "./ts-route-table.ts";
import { ensureRouteTableBuilt } from "./wasm-route-loader.ts";
import { createWasmRouteTable } from "./wasm-route-table.ts";

await ensureRouteTableBuilt();

type Op =
  | { kind: "endpoints"; service: string; endpoints: Endpoint[] }
  | { kind: "remove"; service: string }
  | { kind: "affinity"; service: string; clientIP: boolean; timeoutSeconds: number }
  | { kind: "pick"; service: string; client: string; advanceMs: number; times: number }
  | { kind: "crowd"; service: string; clients: number; first: number }
  | { kind: "flap"; service: string; endpoints: Endpoint[]; drop: number };

const service = fc.constantFrom("default/a", "default/a", "default/a", "default/b", "kube-system/dns");
// Few addresses, so that an endpoint is often removed and added back under a live pin.
const pool: Endpoint[] = [1, 2, 3, 4].map((n) => ({ ip: `10.244.${n % 2}.${n}`, port: 80 })).concat({ ip: "10.244.1.1", port: 53 });
const endpoints = fc.oneof(fc.shuffledSubarray(pool), fc.array(fc.constantFrom(...pool), { maxLength: 8 }));
// Mostly short steps, so that clients come back around their pins' expiry.
const advanceMs = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3500 }) },
);
const client = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 0, max: 3 }).map((n) => `192.168.0.${n}`) },
  { weight: 1, arbitrary: fc.constantFrom("fd00::1", "::ffff:192.168.0.1") },
);

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("endpoints" as const), service, endpoints }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("remove" as const), service }) },
  // An endpoint leaves and comes back (a pod's readiness flapping): same address, new endpoint.
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("flap" as const), service, endpoints: fc.shuffledSubarray(pool, { minLength: 1 }), drop: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("affinity" as const), service, clientIP: fc.boolean(), timeoutSeconds: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      kind: fc.constant("pick" as const), service, client, advanceMs, times: fc.integer({ min: 1, max: 3 }),
    }),
  },
  // Many clients at once: affinity tables fill up, grow and are rehashed.
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("crowd" as const), service, clients: fc.integer({ min: 10, max: 60 }), first: fc.integer({ min: 0, max: 200 }),
    }),
  },
);

function run(table: RouteTable, ops: Op[]): string[] {
  const out: string[] = [];
  let now = 1_000_000;
  for (const o of ops) {
    if (o.kind === "endpoints") table.setEndpoints(o.service, o.endpoints);
    else if (o.kind === "flap") {
      table.setEndpoints(o.service, o.endpoints.filter((_, i) => i !== o.drop % o.endpoints.length));
      table.setEndpoints(o.service, o.endpoints);
    }
    else if (o.kind === "remove") table.removeService(o.service);
    else if (o.kind === "affinity") table.setAffinity(o.service, o);
    else if (o.kind === "crowd") {
      for (let c = o.first; c < o.first + o.clients; c++) {
        const e = table.pick(o.service, `172.16.${c >> 8}.${c & 255}`, now);
        out.push(e ? `${e.ip}:${e.port}` : "-");
      }
    }    else {
      now += o.advanceMs;
      for (let i = 0; i < o.times; i++) {
        const e = table.pick(o.service, o.client, now);
        out.push(e ? `${e.ip}:${e.port}` : "-");
      }
    }
  }
  return out;
}

test("wasm and TypeScript tables pick the same endpoints", () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 20, maxLength: 150, size: "max" }), (ops) => {
      expect(run(createWasmRouteTable(), ops)).toEqual(run(createTsRouteTable(), ops));
    }),
    { numRuns: 300 },
  );
  // A bound for a hang, not for speed: ~10 s on an idle machine, a minute beside e2e tests.
}, 180_000);

test("the sequences reach the interesting states", () => {
  // Guards the generator: without picks that hit pinned and re-pinned clients, the property
  // above would agree vacuously.
  const samples = fc.sample(fc.array(op, { minLength: 100, maxLength: 200 }), { numRuns: 20, seed: 42 });
  const outputs = samples.flatMap((ops) => run(createTsRouteTable(), ops));
  expect(outputs.filter((o) => o === "-").length).toBeGreaterThan(0);
  expect(new Set(outputs)).toEqual(new Set(["-", ...pool.map((e) => `${e.ip}:${e.port}`)]));
});
