// The CRI client builds its gRPC services from api.proto with protobufjs alone; these check that
// every method encodes and decodes exactly as @grpc/proto-loader's (the objects agent/cri/types.ts
// describes): the same bytes on the wire, the same objects back, defaults, enums and int64 included.
import { expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { criServices } from "./client.ts";

const PROTO = fileURLToPath(new URL("./api.proto", import.meta.url));
const reference = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: true, enums: String, longs: String, defaults: true, oneofs: true }));
const pkg = (reference.runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
const ours = criServices();
const pairs = [
  ["RuntimeService", ours.runtime.service, (pkg.RuntimeService as grpc.ServiceClientConstructor).service],
  ["ImageService", ours.image.service, (pkg.ImageService as grpc.ServiceClientConstructor).service],
] as const;

const methods = pairs.flatMap(([service, mine, theirs]) => Object.keys(theirs).map((m) => [`${service}/${m}`, mine[m], theirs[m]!] as const));

test("both services have proto-loader's methods, paths and streaming flags", () => {
  for (const [, mine, theirs] of pairs) {
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    for (const [name, m] of Object.entries(theirs)) {
      expect({ path: mine[name]!.path, requestStream: mine[name]!.requestStream, responseStream: mine[name]!.responseStream })
        .toEqual({ path: m.path, requestStream: m.requestStream, responseStream: m.responseStream });
    }
  }
});

test.each(methods)("%s: an empty message decodes to the same defaults", (_name, mine, theirs) => {
  const empty = Buffer.alloc(0);
  expect(mine!.responseDeserialize(empty)).toEqual(theirs.responseDeserialize(empty));
  expect(mine!.requestDeserialize(empty)).toEqual(theirs.requestDeserialize(empty));
});

const status = ours.runtime.service.ContainerStatus!;
const statusRef = (pkg.RuntimeService as grpc.ServiceClientConstructor).service.ContainerStatus!;

test("a full ContainerStatus (enum, int64 past 2^53, map, nested) round-trips the same", () => {
  const value = {
    status: {
      id: "abc", metadata: { name: "c", attempt: 3 }, state: "CONTAINER_EXITED", created_at: "1765000000123456789", started_at: "1", finished_at: "-5",
      exit_code: 137, image: { image: "busybox" }, image_ref: "sha256:x", reason: "OOMKilled", message: "m", labels: { a: "b" },
    },
    info: { k: "v" },
  };
  const bytes = statusRef.responseSerialize(value);
  expect(Buffer.compare(status.responseSerialize(value), bytes)).toBe(0);
  expect(status.responseDeserialize(bytes)).toEqual(statusRef.responseDeserialize(bytes));
  expect((status.responseDeserialize(bytes) as { status: { created_at: string } }).status.created_at).toBe("1765000000123456789");
});

test("ExecSync's bytes come back as Buffers", () => {
  const exec = ours.runtime.service.ExecSync!;
  const execRef = (pkg.RuntimeService as grpc.ServiceClientConstructor).service.ExecSync!;
  const bytes = execRef.responseSerialize({ stdout: Buffer.from("out"), stderr: Buffer.from(""), exit_code: 2 });
  expect(exec.responseDeserialize(bytes)).toEqual(execRef.responseDeserialize(bytes));
});
