// proto3 drops a field sent under a number the runtime does not know, silently: a wrong number in
// api.proto would turn `tty: true` into no tty at all. These rows pin the wire tags of the streaming
// requests to k8s.io/cri-api's runtime/v1 numbers.
import { expect, test } from "bun:test";
import protobuf from "protobufjs";
import { fileURLToPath } from "node:url";

// keepCase: the field names as written in api.proto, as the CRI client (proto-loader) uses them.
const root = new protobuf.Root().loadSync(fileURLToPath(new URL("./api.proto", import.meta.url)), { keepCase: true });

/** The field numbers present on the wire, in order, for a message encoded from `fields`. */
function wireFields(type: string, fields: Record<string, unknown>): number[] {
  const T = root.lookupType(`runtime.v1.${type}`);
  const r = protobuf.Reader.create(T.encode(T.fromObject(fields)).finish());
  const seen: number[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    seen.push(tag >>> 3);
    r.skipType(tag & 7);
  }
  return seen;
}

test.each([
  ["ExecRequest", { container_id: "c", cmd: ["sh"] }, [1, 2]],
  ["ExecRequest", { container_id: "c", tty: true }, [1, 3]],
  ["ExecRequest", { container_id: "c", stdin: true, stdout: true, stderr: true }, [1, 4, 5, 6]],
  ["AttachRequest", { container_id: "c", stdin: true }, [1, 2]],
  ["AttachRequest", { container_id: "c", tty: true, stdout: true, stderr: true }, [1, 3, 4, 5]],
  ["PortForwardRequest", { pod_sandbox_id: "s", port: [80] }, [1, 2]],
  ["ExecResponse", { url: "http://x" }, [1]],
  ["AttachResponse", { url: "http://x" }, [1]],
  ["PortForwardResponse", { url: "http://x" }, [1]],
] as const)("%s %j goes out as fields %j", (type, fields, want) => {
  expect(wireFields(type, fields)).toEqual([...want]);
});

test("the runtime service offers the three streaming calls", () => {
  const service = root.lookupService("runtime.v1.RuntimeService");
  expect(["Exec", "Attach", "PortForward"].map((m) => service.methods[m]?.requestType)).toEqual(["ExecRequest", "AttachRequest", "PortForwardRequest"]);
});
