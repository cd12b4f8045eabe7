// The gRPC probe against a real grpc-js server on loopback serving grpc.health.v1.Health.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { decodeHealthCheckResponse, encodeHealthCheckRequest, grpcHealthFailure } from "./grpc-health.ts";
import { probeFailure } from "./probes.ts";

// What the server answers per service name ("" is the server as a whole).
const STATUS: Record<string, number> = { "": 1, db: 2, cache: 1 };

let server: grpc.Server;
let bare: grpc.Server;
let port = 0;
let barePort = 0;

function bind(s: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) => s.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
}

beforeAll(async () => {
  server = new grpc.Server();
  // An object, not the bare name: grpc-js takes a falsy request ("") for a missing one.
  const decodeService = (b: Buffer) => ({ service: b.length ? b.subarray(2, 2 + b[1]!).toString() : "" });
  server.addService(
    {
      Check: {
        path: "/grpc.health.v1.Health/Check",
        requestStream: false,
        responseStream: false,
        requestSerialize: (r: { service: string }) => encodeHealthCheckRequest(r.service),
        requestDeserialize: decodeService,
        responseSerialize: (n: number) => Buffer.from([0x08, n]),
        responseDeserialize: decodeHealthCheckResponse,
      },
    },
    {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, number>, cb: grpc.sendUnaryData<number>) => {
        const status = STATUS[call.request.service];
        if (status === undefined) cb({ code: grpc.status.NOT_FOUND, details: "unknown service" });
        else cb(null, status);
      },
    },
  );
  port = await bind(server);
  bare = new grpc.Server(); // speaks gRPC, but no health service
  barePort = await bind(bare);
});

afterAll(() => {
  server.forceShutdown();
  bare.forceShutdown();
});

test("the request and response encodings round-trip", () => {
  expect(encodeHealthCheckRequest("")).toEqual(Buffer.alloc(0));
  expect(encodeHealthCheckRequest("db")).toEqual(Buffer.from([0x0a, 2, 0x64, 0x62]));
  expect(encodeHealthCheckRequest("x".repeat(200)).subarray(0, 3)).toEqual(Buffer.from([0x0a, 0xc8, 0x01]));
  expect(decodeHealthCheckResponse(Buffer.from([0x08, 2]))).toBe(2);
  expect(decodeHealthCheckResponse(Buffer.from([0x12, 1, 0x41, 0x08, 1]))).toBe(1); // an unknown field skipped
});

test.each([
  ["the whole server is SERVING", "", undefined],
  ["a SERVING service", "cache", undefined],
  ["a NOT_SERVING service", "db", 'service unhealthy (responded with "NOT_SERVING")'],
  ["an unknown service", "nope", "error: health rpc probe failed: 5 NOT_FOUND: unknown service"],
])("%s", async (_name, service, want) => {
  expect(await grpcHealthFailure("127.0.0.1", port, service, 2)).toBe(want);
});

test("a server without the health service, and no server at all, fail", async () => {
  expect(await grpcHealthFailure("127.0.0.1", barePort, "", 2)).toStartWith("this server does not implement the grpc health protocol (grpc.health.v1.Health)");
  const closed = await grpcHealthFailure("127.0.0.1", 1, "", 1);
  expect(closed).toStartWith('timeout: failed to connect service "127.0.0.1:1" within 1s');
});

test("a container's grpc probe goes to the pod IP", async () => {
  const c = { name: "c", image: "x" };
  const target = { podIP: "127.0.0.1", exec: async () => 0 };
  expect(await probeFailure({ grpc: { port } }, c, target)).toBeUndefined();
  expect(await probeFailure({ grpc: { port, service: "db" } }, c, target)).toBe('service unhealthy (responded with "NOT_SERVING")');
});
