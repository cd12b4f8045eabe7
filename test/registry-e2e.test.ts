// Images from real registries, end to end: two CNCF distribution registries on loopback (TLS from
// test CAs, htpasswd auth) hold the project's busybox image, copied in with skopeo; a real agent
// with its own containerd pulls from them. Pull secrets made by `kubectl create secret
// docker-registry` (on the pod, and on its ServiceAccount), the refusal without them, a registry
// whose CA isn't configured, a docker.io mirror with credentials added to registries.yaml while
// the agent runs, the node authorizer keeping other secrets from the node, a sandbox image that
// cannot be pulled, the node's status.images, and image GC removing an unused image.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Node, Pod } from "../src/apis/index.ts";
import { buildTestImages } from "../scripts/build-test-images.ts";
import { buildImage } from "../agent/images/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { startTestRegistry, type TestRegistry } from "./helpers/registry.ts";
import { waitFor } from "./helpers/wait.ts";
import { ndjson } from "../src/client/ndjson.ts";

let private1: TestRegistry; // pull secrets and the TLS failure
let mirror: TestRegistry; // docker.io's mirror, its credentials in registries.yaml
let cluster: AgentCluster;
let dir: string;
let registriesFile: string;

const registriesYaml = (withMirror: boolean) => `
${withMirror ? `mirrors:\n  docker.io:\n    endpoint:\n      - "https://${mirror.host}"\n` : ""}configs:
  "${private1.host}":
    tls:
      ca_file: ${private1.caFile}
  # The same registry by another name, its CA left out (containerd would take a loopback
  # registry named nowhere for plain HTTP; named here, it is HTTPS with the system's CAs).
  "localhost:${private1.port}":
    auth:
      username: ${private1.username}
      password: ${private1.password}
${
  withMirror
    ? `  "${mirror.host}":
    auth:
      username: ${mirror.username}
      password: ${mirror.password}
    tls:
      ca_file: ${mirror.caFile}
`
    : ""
}`;

beforeAll(async () => {
  const images = await buildTestImages();
  dir = mkdtempSync(join(tmpdir(), "kubun-rg-"));
  private1 = await startTestRegistry({ username: "alice", password: "wonderland" });
  mirror = await startTestRegistry({ username: "mirror", password: "m1rr0r" });
  await private1.push(images.busybox, "team/busybox:1");
  await mirror.push(images.busybox, "library/mirrored:1");
  // An image of its own (no other image shares its id) for GC to remove.
  mkdirSync(join(dir, "rootfs"));
  writeFileSync(join(dir, "rootfs", "only-for-gc"), `${Date.now()}\n`);
  await buildImage({ rootfs: join(dir, "rootfs"), name: "gc/unused:1", cmd: ["/only-for-gc"], out: join(dir, "unused.tar") });
  await mirror.push(join(dir, "unused.tar"), "gc/unused:1");
  registriesFile = join(dir, "registries.yaml");
  writeFileSync(registriesFile, registriesYaml(false));
  cluster = await startAgentCluster({
    nodeName: "rg-node",
    podCIDR: "10.214.13.0/24",
    registryConfig: registriesFile,
    imageBackoff: { initialMs: 1000, maxMs: 2000 },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.close();
  await private1?.stop();
  await mirror?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const kubectl = (...args: string[]) => cluster.server.kubectlOk(args);

async function pod(name: string): Promise<Pod> {
  return (await (await cluster.server.api(`/api/v1/namespaces/default/pods/${name}`)).json()) as Pod;
}

async function events(name: string): Promise<{ type: string; reason: string; message: string }[]> {
  const res = await cluster.server.api(`/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=${name}`);
  return ((await res.json()) as { items: { type: string; reason: string; message: string }[] }).items;
}

const running = (name: string) => waitFor(`${name} Running`, async () => (await pod(name)).status?.phase === "Running", { timeoutMs: 60_000, detail: () => "" });
const spec = (image: string, extra: Record<string, unknown> = {}) => ({ terminationGracePeriodSeconds: 1, containers: [{ name: "c", image, command: ["sleep", "3600"] }], ...extra });

describe("pull secrets", () => {
  test("kubectl create secret docker-registry, named by the pod: the image is pulled, kubelet's events, and it shows in status.images", async () => {
    await kubectl("create", "secret", "docker-registry", "regcred", `--docker-server=${private1.host}`, `--docker-username=${private1.username}`, `--docker-password=${private1.password}`);
    const image = `${private1.host}/team/busybox:1`;
    await cluster.createPod("with-secret", spec(image, { imagePullSecrets: [{ name: "regcred" }] }));
    await running("with-secret");
    const evs = await events("with-secret");
    expect(evs.map((e) => `${e.reason}: ${e.message}`)).toContain(`Pulling: Pulling image "${image}"`);
    const pulled = evs.find((e) => e.reason === "Pulled")!.message;
    expect(pulled).toMatch(new RegExp(`^Successfully pulled image "${image.replace(/\./g, "\\.")}" in [0-9.]+m?s \\([0-9.]+m?s including waiting\\)\\. Image size: [1-9][0-9]* bytes\\.$`));
    const node = await waitFor("the pulled image in status.images", async () => {
      const n = (await (await cluster.server.api("/api/v1/nodes/rg-node")).json()) as Node;
      return n.status?.images?.some((i) => i.names?.includes(image)) ? n : undefined;
    });
    const entry = node.status!.images!.find((i) => i.names?.includes(image))!;
    expect(entry.sizeBytes).toBeGreaterThan(0);
    expect(entry.names!.some((n) => n.startsWith(`${private1.host}/team/busybox@sha256:`))).toBe(true);
  }, 90_000);

  test("the node may read the pull secret of a pod bound to it, and no other secret", async () => {
    await kubectl("create", "secret", "docker-registry", "not-for-nodes", `--docker-server=${private1.host}`, "--docker-username=x", "--docker-password=y");
    const nodeToken = readFileSync(join(cluster.dataDir, "node-rg-node.token"), "utf8").trim();
    const read = (name: string) => cluster.server.api(`/api/v1/namespaces/default/secrets/${name}`, { token: nodeToken });
    expect((await read("regcred")).status).toBe(200);
    expect((await read("not-for-nodes")).status).toBe(403);
  });

  test("a digest reference (image@sha256:…) is pulled by its digest", async () => {
    const digestRef = (await cluster.agent.runtime.imageStatus(`${private1.host}/team/busybox:1`))!.repo_digests.find((d) => d.startsWith(`${private1.host}/team/busybox@sha256:`))!;
    expect(digestRef).toBeDefined();
    await cluster.createPod("by-digest", { ...spec(digestRef), imagePullSecrets: [{ name: "regcred" }], containers: [{ name: "c", image: digestRef, imagePullPolicy: "Always", command: ["sleep", "3600"] }] });
    await running("by-digest");
    expect((await events("by-digest")).find((e) => e.reason === "Pulled")?.message).toStartWith(`Successfully pulled image "${digestRef}" in `);
    expect((await pod("by-digest")).status?.containerStatuses?.[0]?.imageID).toContain(digestRef.split("@")[1]!);
  }, 90_000);

  test("without the secret: ErrImagePull, then ImagePullBackOff, the registry's 'unauthorized' in the event", async () => {
    const image = `${private1.host}/team/busybox:1`;
    // Always: the image is on the node already (previous test), so only a pull can fail.
    // Every waiting reason the pod's status goes through, from a watch: ErrImagePull lasts only
    // until the worker's next sync (back-off here is 1 s), which polling can miss on a busy machine.
    const seen: string[] = [];
    const abort = new AbortController();
    const res = await cluster.server.api("/api/v1/namespaces/default/pods?watch=1&fieldSelector=metadata.name%3Dno-secret", { signal: abort.signal });
    const reader = (async () => {
      try {
        for await (const event of ndjson(res.body as ReadableStream<Uint8Array>)) {
          const reason = ((event as { object: Pod }).object).status?.containerStatuses?.[0]?.state?.waiting?.reason;
          if (reason && seen.at(-1) !== reason) seen.push(reason);
        }
      } catch {
        // aborted
      }
    })();
    await cluster.createPod("no-secret", { ...spec(image), containers: [{ name: "c", image, imagePullPolicy: "Always", command: ["sleep", "3600"] }] });
    await waitFor("ErrImagePull, then ImagePullBackOff", async () => {
      const err = seen.indexOf("ErrImagePull");
      return err >= 0 && seen.indexOf("ImagePullBackOff", err) > err;
    }, { timeoutMs: 60_000, detail: () => `waiting reasons seen: ${seen.join(", ")}` });
    abort.abort();
    await reader;
    const failed = (await events("no-secret")).find((e) => e.reason === "Failed" && e.message.startsWith("Failed to pull image"));
    expect(failed?.type).toBe("Warning");
    expect(failed!.message.toLowerCase()).toContain("unauthorized");
    expect((await pod("no-secret")).status?.phase).toBe("Pending");
  }, 90_000);

  test("a ServiceAccount's pull secret is used for pods that name none", async () => {
    await kubectl("create", "serviceaccount", "puller");
    await kubectl("patch", "serviceaccount", "puller", "-p", JSON.stringify({ imagePullSecrets: [{ name: "regcred" }] }));
    const image = `${private1.host}/team/busybox:1`;
    await cluster.createPod("by-sa", { ...spec(image), serviceAccountName: "puller", containers: [{ name: "c", image, imagePullPolicy: "Always", command: ["sleep", "3600"] }] });
    expect((await pod("by-sa")).spec?.imagePullSecrets).toEqual([{ name: "regcred" }]);
    await running("by-sa");
  }, 90_000);
});

describe("registry configuration", () => {
  test("a registry whose CA isn't configured fails with the TLS error in the event", async () => {
    // The same registry by another name: registries.yaml has its CA only for 127.0.0.1:port.
    const image = `localhost:${private1.port}/team/busybox:1`;
    await cluster.createPod("bad-ca", spec(image));
    const failed = await waitFor("a failed pull", async () => (await events("bad-ca")).find((e) => e.reason === "Failed" && e.message.startsWith("Failed to pull image")));
    expect(failed.message).toContain("x509: certificate signed by unknown authority");
  }, 60_000);

  test("a docker.io mirror with credentials, added to registries.yaml while the agent runs", async () => {
    // Before: docker.io/library/mirrored:1 is nowhere this machine can reach.
    writeFileSync(registriesFile, registriesYaml(true));
    await cluster.createPod("mirrored", spec("mirrored:1"));
    await running("mirrored");
    // The name it was pulled by (the status shows the image's first tag: the same busybox as team/busybox:1).
    expect((await cluster.agent.runtime.imageStatus("docker.io/library/mirrored:1"))?.repo_tags).toContain("docker.io/library/mirrored:1");
  }, 90_000);
});

describe("no sandbox image", () => {
  test("until a sandbox exists the pod is ContainerCreating, with kubelet's FailedCreatePodSandBox event carrying the runtime's message", async () => {
    // The pause image names a repository the registry doesn't have (and it wants credentials).
    const c = await startAgentCluster({ nodeName: "rg-nosandbox", podCIDR: "10.214.15.0/24", registryConfig: registriesFile, sandboxImage: `${private1.host}/missing/pause:1` });
    try {
      await c.createPod("no-sandbox", spec("local/busybox:1"));
      const get = async () => (await (await c.server.api("/api/v1/namespaces/default/pods/no-sandbox")).json()) as Pod;
      const p = await waitFor("ContainerCreating", async () => {
        const got = await get();
        return got.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ContainerCreating" ? got : undefined;
      });
      expect(p.status?.phase).toBe("Pending");
      expect(p.status?.conditions?.find((x) => x.type === "PodReadyToStartContainers")?.status).toBe("False");
      const res = await c.server.api("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=no-sandbox");
      const evs = ((await res.json()) as { items: { type: string; reason: string; message: string }[] }).items;
      const failed = evs.find((e) => e.reason === "FailedCreatePodSandBox");
      expect(failed?.type).toBe("Warning");
      expect(failed!.message).toStartWith("Failed to create pod sandbox: rpc error: code = Unknown desc = ");
      expect(failed!.message).toContain(`${private1.host}/missing/pause:1`);
      expect(failed!.message.toLowerCase()).toContain("unauthorized");
    } finally {
      await c.close();
    }
  }, 90_000);
});

describe("image GC", () => {
  test("an unused image is removed once usage passes the high threshold; images in use and the pause image stay", async () => {
    // A second node of our own whose thresholds every disk passes (1% / 0%).
    const gcCluster = await startAgentCluster({
      nodeName: "rg-gc",
      podCIDR: "10.214.14.0/24",
      registryConfig: registriesFile,
      // Images first seen less than 15 s ago stay: the imported busybox lives until the pod uses it.
      imageGC: { highPercent: 1, lowPercent: 0, minAgeMs: 15_000, periodMs: 1000 },
    });
    try {
      await gcCluster.createPod("keeps", spec("local/busybox:1"));
      await waitFor("keeps Running", async () => {
        const p = (await (await gcCluster.server.api("/api/v1/namespaces/default/pods/keeps")).json()) as Pod;
        return p.status?.phase === "Running";
      }, { timeoutMs: 60_000 });
      const rt = gcCluster.agent.runtime;
      const unused = `${mirror.host}/gc/unused:1`;
      await rt.pullImage(unused, { username: mirror.username, password: mirror.password });
      expect(await rt.imageStatus(unused)).not.toBeNull();
      await waitFor("the unused image removed", async () => !(await rt.imageStatus(unused)), { timeoutMs: 45_000 });
      expect(await rt.imageStatus("docker.io/local/busybox:1")).not.toBeNull();
      expect(await rt.imageStatus("docker.io/local/pause:1")).not.toBeNull();
      const node = await waitFor("status.images without it", async () => {
        const n = (await (await gcCluster.server.api("/api/v1/nodes/rg-gc")).json()) as Node;
        return n.status?.images && !n.status.images.some((i) => i.names?.includes(unused)) ? n : undefined;
      });
      expect(node.status!.images!.some((i) => i.names?.includes("docker.io/local/busybox:1"))).toBe(true);
    } finally {
      await gcCluster.close();
    }
  }, 120_000);
});
