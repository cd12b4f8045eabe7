import { describe, expect, test } from "bun:test";
import type { Container } from "../../src/apis/index.ts";
import { CriError, type Image, type ImageService } from "../cri/index.ts";
import { goDuration, ImagePuller, PullQueue, pullPolicy } from "./image-puller.ts";
import type { AuthConfig } from "../cri/index.ts";

/** Images present in a fake runtime; pulls fail unless `registry` holds the image. */
function fakeImages(present: string[] = [], registry: string[] = [], password?: string) {
  const have = new Set(present);
  const pulls: string[] = [];
  const auths: (AuthConfig | undefined)[] = [];
  const images: ImageService = {
    imageStatus: async (image) => (have.has(image) || (image === "sha256:1" && have.size) ? ({ id: "sha256:1", repo_tags: [image], repo_digests: [], size: "2048" } as Image) : null),
    listImages: async () => [],
    pullImage: async (image, auth) => {
      pulls.push(image);
      auths.push(auth);
      if (!registry.includes(image)) throw new CriError("PullImage", 2, `failed to pull and unpack image "docker.io/${image}": no route to registry`);
      if (password !== undefined && auth?.password !== password) throw new CriError("PullImage", 2, `failed to pull and unpack image "docker.io/${image}": 401 Unauthorized`);
      have.add(image);
      return "sha256:1";
    },
    removeImage: async () => {},
  };
  return { images, pulls, auths, have };
}

function recorder() {
  const events: string[] = [];
  return { events, event: (type: string, reason: string, message: string) => void events.push(`${type} ${reason}: ${message}`) };
}

const ctr = (image: string, imagePullPolicy?: Container["imagePullPolicy"]): Container => ({ name: "app", image, imagePullPolicy });

describe("pull policy", () => {
  test.each([
    ["local/x:1", undefined, "IfNotPresent"],
    ["local/x", undefined, "Always"],
    ["local/x:latest", undefined, "Always"],
    ["registry:5000/x", undefined, "Always"],
    ["x@sha256:abc", undefined, "IfNotPresent"],
    ["local/x:latest", "Never", "Never"],
  ] as const)("%s with %s → %s", (image, policy, want) => {
    expect(pullPolicy(ctr(image, policy))).toBe(want);
  });
});

describe("image puller", () => {
  test("a present image under IfNotPresent needs no pull, and kubelet's Pulled event says so", async () => {
    const f = fakeImages(["local/x:1"]);
    const r = recorder();
    expect(await new ImagePuller({ images: f.images }).ensure(ctr("local/x:1"), r.event)).toBeUndefined();
    expect(f.pulls).toEqual([]);
    expect(r.events).toEqual(['Normal Pulled: Container image "local/x:1" already present on machine']);
  });

  test("Never with a missing image: ErrImageNeverPull, told once per wait", async () => {
    const f = fakeImages();
    const r = recorder();
    const puller = new ImagePuller({ images: f.images });
    const want = { reason: "ErrImageNeverPull", message: 'Container image "local/x:1" is not present with pull policy of Never' };
    expect(await puller.ensure(ctr("local/x:1", "Never"), r.event)).toEqual(want);
    expect(await puller.ensure(ctr("local/x:1", "Never"), r.event)).toEqual(want);
    expect(r.events).toEqual([`Warning ErrImageNeverPull: ${want.message}`, "Warning Failed: Error: ErrImageNeverPull"]);
    expect(f.pulls).toEqual([]);
  });

  test("a failed pull: ErrImagePull, then ImagePullBackOff until the back-off is over, doubling", async () => {
    const f = fakeImages();
    const r = recorder();
    let now = 0;
    const puller = new ImagePuller({ images: f.images, now: () => now });
    const c = ctr("local/x:1");
    const first = await puller.ensure(c, r.event);
    expect(first).toEqual({ reason: "ErrImagePull", message: 'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/local/x:1": no route to registry' });
    expect(r.events).toEqual([
      'Normal Pulling: Pulling image "local/x:1"',
      `Warning Failed: Failed to pull image "local/x:1": ${first!.message}`,
      "Warning Failed: Error: ErrImagePull",
    ]);
    r.events.length = 0;

    const backOff = { reason: "ImagePullBackOff", message: 'Back-off pulling image "local/x:1"' };
    for (const t of [1, 5_000, 9_999]) {
      now = t;
      expect(await puller.ensure(c, r.event)).toEqual(backOff);
    }
    expect(r.events).toEqual(['Normal BackOff: Back-off pulling image "local/x:1"', "Warning Failed: Error: ImagePullBackOff"]);
    expect(f.pulls).toHaveLength(1);

    now = 10_000; // kubelet's first back-off is 10 s; the next one is twice that
    expect((await puller.ensure(c, r.event))?.reason).toBe("ErrImagePull");
    now = 29_999;
    expect((await puller.ensure(c, r.event))?.reason).toBe("ImagePullBackOff");
    now = 30_000;
    expect((await puller.ensure(c, r.event))?.reason).toBe("ErrImagePull");
    expect(f.pulls).toHaveLength(3);
  });

  test("a tarball imported since the last try brings the image without a pull", async () => {
    const f = fakeImages();
    let imports = 0;
    const puller = new ImagePuller({ images: f.images, importImages: async () => void (imports++, f.have.add("local/x:1")) });
    expect(await puller.ensure(ctr("local/x:1"), recorder().event)).toBeUndefined();
    expect(imports).toBe(1);
    expect(f.pulls).toEqual([]);
  });

  test("a pull that works: kubelet's Pulled event with the pull's duration, the wait and the image size", async () => {
    const f = fakeImages([], ["local/x:1"]);
    const r = recorder();
    let now = 0;
    const slow: ImageService = { ...f.images, pullImage: async (i, a) => ((now += 1234), f.images.pullImage(i, a)) };
    expect(await new ImagePuller({ images: slow, now: () => now }).ensure(ctr("local/x:1"), r.event)).toBeUndefined();
    expect(r.events).toEqual(['Normal Pulling: Pulling image "local/x:1"', 'Normal Pulled: Successfully pulled image "local/x:1" in 1.234s (1.234s including waiting). Image size: 2048 bytes.']);
  });

  test("Always pulls even with a local copy, and a failed pull is ErrImagePull as in kubelet", async () => {
    const f = fakeImages(["local/x:latest"]);
    const r = recorder();
    expect((await new ImagePuller({ images: f.images }).ensure(ctr("local/x:latest"), r.event))?.reason).toBe("ErrImagePull");
    expect(f.pulls).toEqual(["local/x:latest"]);
  });

  test("each matching credential is tried in turn; the first that works wins", async () => {
    const f = fakeImages([], ["r.example.com/x:1"], "right");
    const creds = async () => [{ username: "u", password: "wrong" }, { username: "u", password: "right" }];
    expect(await new ImagePuller({ images: f.images }).ensure(ctr("r.example.com/x:1"), recorder().event, creds)).toBeUndefined();
    expect(f.auths.map((a) => a?.password)).toEqual(["wrong", "right"]);
  });

  test("without credentials the registry's refusal is the waiting message", async () => {
    const f = fakeImages([], ["r.example.com/x:1"], "right");
    const got = await new ImagePuller({ images: f.images }).ensure(ctr("r.example.com/x:1"), recorder().event);
    expect(got).toEqual({ reason: "ErrImagePull", message: 'rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/r.example.com/x:1": 401 Unauthorized' });
    expect(f.auths).toEqual([undefined]);
  });

  test("the pull deadline reaches the runtime call", async () => {
    const f = fakeImages([], ["local/x:1"]);
    let deadline: number | undefined;
    const images: ImageService = { ...f.images, pullImage: async (i, a, d) => ((deadline = d), f.images.pullImage(i, a)) };
    await new ImagePuller({ images, pullDeadlineMs: 7000 }).ensure(ctr("local/x:1"), recorder().event);
    expect(deadline).toBe(7000);
  });
});

describe("pull queue", () => {
  test("serialized: one pull at a time, in the order asked", async () => {
    const q = new PullQueue(1);
    const log: string[] = [];
    const job = (name: string) => q.run(async () => (log.push(`start ${name}`), await Bun.sleep(5), log.push(`end ${name}`)));
    await Promise.all([job("a"), job("b"), job("c")]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  test("parallel: all start at once", async () => {
    const q = new PullQueue(Infinity);
    const log: string[] = [];
    const job = (name: string) => q.run(async () => (log.push(`start ${name}`), await Bun.sleep(5), log.push(`end ${name}`)));
    await Promise.all([job("a"), job("b")]);
    expect(log.slice(0, 2)).toEqual(["start a", "start b"]);
  });

  test("a failed pull lets the next one go", async () => {
    const q = new PullQueue(1);
    await expect(q.run(async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(await q.run(async () => 1)).toBe(1);
  });
});

describe("Go durations", () => {
  test.each([
    [0, "0s"],
    [850, "850ms"],
    [1200, "1.2s"],
    [1234.9, "1.234s"],
    [62_500, "1m2.5s"],
    [3_600_000, "1h0m0s"],
  ])("%d ms → %s", (ms, want) => expect(goDuration(ms)).toBe(want));
});
