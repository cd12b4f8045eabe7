// The gRPC probe: one call of the standard health service (grpc.health.v1.Health/Check) on the
// pod IP, as kubelet's pkg/probe/grpc makes it — plaintext, the probe's `service` in the request,
// SERVING passes and anything else fails, with kubelet's failure messages. The two messages have
// one field each, so they are encoded by hand rather than through a .proto loader.
import * as grpc from "@grpc/grpc-js";

const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** HealthCheckRequest{service = 1}; the empty service (the server as a whole) is the empty message. */
export function encodeHealthCheckRequest(service: string): Buffer {
  const name = Buffer.from(service, "utf8");
  if (name.length === 0) return Buffer.alloc(0);
  const len: number[] = [];
  for (let n = name.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...len]), name]);
}

/** HealthCheckResponse{status = 1 (enum)}: the status number (0 when absent), skipping unknown fields. */
export function decodeHealthCheckResponse(buf: Buffer): number {
  let status = 0;
  let i = 0;
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error("truncated HealthCheckResponse");
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    if (tag >>> 3 === 1 && wire === 0) status = varint();
    else if (wire === 0) varint();
    else if (wire === 2) {
      const n = varint(); // read before adding: `i += varint()` would add to the old i
      i += n;
    }
    else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`unexpected wire type ${wire} in HealthCheckResponse`);
  }
  return status;
}

const HealthClient = grpc.makeGenericClientConstructor(
  {
    Check: {
      path: "/grpc.health.v1.Health/Check",
      requestStream: false,
      responseStream: false,
      requestSerialize: (service: string) => encodeHealthCheckRequest(service),
      requestDeserialize: (b: Buffer) => b.toString(),
      responseSerialize: (status: number) => Buffer.from([0x08, status]),
      responseDeserialize: decodeHealthCheckResponse,
    },
  },
  "grpc.health.v1.Health",
);

/** Checks `host:port`; resolves with kubelet's failure output, or undefined when the service is SERVING. */
export async function grpcHealthFailure(host: string, port: number, service: string, timeoutSeconds: number): Promise<string | undefined> {
  const target = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const client = new HealthClient(target, grpc.credentials.createInsecure(), { "grpc.primary_user_agent": "kube-probe/1.32" });
  const deadline = Date.now() + timeoutSeconds * 1000;
  try {
    const ready = await new Promise<Error | undefined>((resolve) => client.waitForReady(deadline, (err) => resolve(err ?? undefined)));
    if (ready) return `timeout: failed to connect service "${target}" within ${timeoutSeconds}s: ${ready.message}`;
    const result = await new Promise<{ err?: grpc.ServiceError; status?: number }>((resolve) => {
      (client as unknown as { Check: (req: string, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: number) => void) => void }).Check(
        service,
        new grpc.Metadata(),
        { deadline },
        (err, status) => resolve(err ? { err } : { status }),
      );
    });
    if (result.err) {
      if (result.err.code === grpc.status.UNIMPLEMENTED) return `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${result.err.details}`;
      if (result.err.code === grpc.status.DEADLINE_EXCEEDED) return `timeout: health rpc did not complete within ${timeoutSeconds}s`;
      return `error: health rpc probe failed: ${result.err.message}`;
    }
    if (result.status !== 1) return `service unhealthy (responded with "${SERVING_STATUS[result.status!] ?? result.status}")`;
    return undefined;
  } finally {
    client.close();
  }
}
