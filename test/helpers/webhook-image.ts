// A test image that serves admission webhooks from a pod: test/helpers/webhook-pod-server.ts run
// by bun (test/helpers/bun-image.ts). Built only for the webhook pod e2e.
import { dirname, join } from "node:path";
import { buildBunImage } from "./bun-image.ts";

export const WEBHOOK_IMAGE = "local/webhook:1";
const SERVER = join(import.meta.dir, "webhook-pod-server.ts");

/** Builds the image (once); resolves with the folder holding its tarball, for an agent's imageDirs. */
export async function buildWebhookImage(): Promise<string> {
  const tar = await buildBunImage({
    name: WEBHOOK_IMAGE,
    folder: "webhook",
    files: [[SERVER, "/app/server.ts"]],
    entrypoint: ["/bin/bun", "/app/server.ts"],
    env: ["BUN_RUNTIME_TRANSPILER_CACHE_PATH=0"],
  });
  return dirname(tar);
}
