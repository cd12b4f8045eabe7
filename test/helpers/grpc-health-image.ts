// The local/bun-grpc-health:1 test image: test/fixtures/grpc-health-server.js, a gRPC health
// server on h2c made with node:http2 alone, run by bun (test/helpers/bun-image.ts). It lets e2e
// tests probe a real pod's grpc.health.v1.Health service.
import { join, resolve } from "node:path";
import { buildBunImage } from "./bun-image.ts";

export const GRPC_HEALTH_IMAGE = "local/bun-grpc-health:1";

const SCRIPT = join(resolve(import.meta.dir, "../.."), "test/fixtures/grpc-health-server.js");

/** Builds the image (once) and resolves with its tarball. */
export function buildGrpcHealthImage(): Promise<string> {
  return buildBunImage({ name: GRPC_HEALTH_IMAGE, folder: "grpc-health", files: [[SCRIPT, "/health-server.js"]], entrypoint: ["/bin/bun", "/health-server.js"] });
}
