import { describe, expect, test } from "bun:test";
import type { Container, Image } from "../cri/index.ts";
import { ImageGC, nodeImages } from "./gc.ts";

const img = (id: string, tag: string, size: number): Image => ({ id, repo_tags: [tag], repo_digests: [`${tag.split(":")[0]}@sha256:${id}`], size: String(size) });
const ctr = (image: string): Container => ({ id: `c-${image}`, pod_sandbox_id: "s", metadata: { name: "c" }, image: { image }, image_ref: image, state: "CONTAINER_RUNNING", created_at: "0", labels: {}, annotations: {} }) as Container;

function fixture(images: Image[], containers: Container[], usedBytes: number) {
  let used = usedBytes;
  const removed: string[] = [];
  const have = [...images];
  let now = 1000;
  const gc = new ImageGC({
    images: {
      listImages: async () => have,
      imageStatus: async () => null,
      pullImage: async () => "",
      removeImage: async (id) => {
        removed.push(id);
        have.splice(have.findIndex((i) => i.id === id), 1);
      },
    },
    runtime: { listContainers: async () => containers },
    policy: { highPercent: 85, lowPercent: 80, minAgeMs: 0 },
    usage: () => ({ capacityBytes: 1000, availableBytes: 1000 - used }),
    pinned: ["registry.k8s.io/pause:3.10"],
    now: () => now,
  });
  return { gc, removed, containers, tick: (ms: number) => (now += ms), setUsed: (b: number) => (used = b) };
}

describe("image GC", () => {
  test("below the high threshold nothing goes", async () => {
    const f = fixture([img("a", "x:1", 100)], [], 840);
    expect(await f.gc.run()).toEqual([]);
  });

  test("at the high threshold: unused images go, least recently used first, down to the low threshold; in-use and pinned images stay", async () => {
    const images = [img("used", "app:1", 100), img("pause", "registry.k8s.io/pause:3.10", 10), img("old", "old:1", 30), img("recent", "recent:1", 30), img("never", "never:1", 30)];
    const f = fixture(images, [ctr("old:1"), ctr("recent:1"), ctr("app:1")], 500);
    expect(await f.gc.run()).toEqual([]); // below the threshold: "old" and "recent" are noted as used now
    f.tick(1000);
    f.containers.splice(0, 1); // old:1's container is gone
    f.setUsed(850); // 50 bytes to free to get down to 80%
    expect(await f.gc.run()).toEqual(["never", "old"]); // never used before used long ago; 60 bytes ≥ 50, so "recent" would stay anyway
  });

  test("when the unused images aren't enough, everything else stays and kubelet's FreeDiskSpaceFailed is told", async () => {
    const images = [img("used", "app:1", 100), img("pause", "registry.k8s.io/pause:3.10", 10), img("spare", "spare:1", 30)];
    const f = fixture(images, [ctr("app:1")], 1000);
    const warnings: string[] = [];
    const gc = new ImageGC({ ...(f.gc as any).opts, warn: (reason: string, message: string) => warnings.push(`${reason}: ${message}`) });
    expect(await gc.run()).toEqual(["spare"]);
    expect(warnings).toEqual(["FreeDiskSpaceFailed: Failed to garbage collect required amount of images. Attempted to free 200 bytes, but only found 30 bytes eligible to free."]);
  });

  test("images detected less than the minimum age ago stay", async () => {
    const f = fixture([img("a", "x:1", 100)], [], 900);
    const gc = new ImageGC({ ...(f.gc as any).opts, policy: { highPercent: 85, lowPercent: 80, minAgeMs: 60_000 } });
    expect(await gc.run()).toEqual([]);
  });

  test("high threshold 100 turns GC off", async () => {
    const f = fixture([img("a", "x:1", 100)], [], 1000);
    const gc = new ImageGC({ ...(f.gc as any).opts, policy: { highPercent: 100, lowPercent: 80, minAgeMs: 0 } });
    expect(await gc.run()).toEqual([]);
  });
});

describe("node status images", () => {
  test("the 50 largest, digests then tags, at most 5 names each", () => {
    const many = Array.from({ length: 60 }, (_, i) => img(`i${i}`, `img${i}:1`, i));
    const got = nodeImages(many);
    expect(got).toHaveLength(50);
    expect(got[0]).toEqual({ names: ["img59@sha256:i59", "img59:1"], sizeBytes: 59 });
    expect(got.at(-1)!.sizeBytes).toBe(10);
  });
});
