// Image garbage collection by disk usage, after kubelet's realImageGCManager: every period the
// images the node's containers use are noted (their last use is "now"); when the image
// filesystem's usage reaches the high threshold, unused images are removed, least recently used
// first (then the oldest detected), until usage would be down to the low threshold. An image in
// use by any container, the sandbox (pause) image, and images first seen less than minAge ago
// are never removed. The filesystem is the one under containerd's root (statfs), the image
// sizes are the runtime's (ListImages) — the same two figures kubelet's decision rests on.
import { statfsSync } from "node:fs";
import type { Image, ImageService, RuntimeService } from "../cri/index.ts";

export interface ImageGCPolicy {
  /** Usage (percent of the filesystem) at or above which GC runs; 100 turns GC off (kubelet: 85). */
  highPercent: number;
  /** Usage GC frees down to (kubelet: 80). */
  lowPercent: number;
  /** Images detected more recently than this are kept (kubelet's --minimum-image-ttl-duration, 2 min). */
  minAgeMs?: number;
}

export interface FsUsage {
  capacityBytes: number;
  availableBytes: number;
}

export interface ImageGCOptions {
  images: ImageService;
  runtime: Pick<RuntimeService, "listContainers">;
  policy: ImageGCPolicy;
  /** The image filesystem's size and free space (default: statfs of `fsPath`). */
  usage?: () => FsUsage;
  fsPath?: string;
  /** Never removed: the sandbox image RunPodSandbox needs. */
  pinned?: string[];
  now?: () => number;
  log?: (msg: string) => void;
  /** Told when GC can't free enough (kubelet's FreeDiskSpaceFailed warning on the Node). */
  warn?: (reason: string, message: string) => void;
}

export function statfsUsage(path: string): FsUsage {
  const s = statfsSync(path);
  return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize };
}

const namesOf = (img: Image) => [...(img.repo_tags ?? []), ...(img.repo_digests ?? [])];

/** The node's images as kubelet reports them in status.images: the 50 largest, up to 5 names each. */
export function nodeImages(images: Image[]): { names: string[]; sizeBytes: number }[] {
  return images
    .map((img) => ({ names: [...(img.repo_digests ?? []), ...(img.repo_tags ?? [])].slice(0, 5), sizeBytes: Number(img.size) }))
    .filter((i) => i.names.length)
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, 50);
}

export class ImageGC {
  private readonly seen = new Map<string, { firstDetected: number; lastUsed: number }>();

  constructor(private readonly opts: ImageGCOptions) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Notes which images are in use now; resolves with the images and the ids in use. */
  private async detect(): Promise<{ images: Image[]; inUse: Set<string> }> {
    const now = this.now();
    const [images, containers] = await Promise.all([this.opts.images.listImages(), this.opts.runtime.listContainers()]);
    const byName = new Map<string, string>();
    for (const img of images) for (const n of [img.id, ...namesOf(img)]) byName.set(n, img.id);
    const inUse = new Set<string>();
    for (const c of containers) {
      const id = byName.get(c.image_ref) ?? byName.get(c.image?.image ?? "") ?? c.image_ref;
      if (id) inUse.add(id);
    }
    for (const p of this.opts.pinned ?? []) {
      const id = byName.get(p) ?? byName.get(p.includes("/") ? p : `docker.io/library/${p}`);
      if (id) inUse.add(id);
    }
    for (const img of images) {
      const entry = this.seen.get(img.id) ?? { firstDetected: now, lastUsed: 0 };
      if (inUse.has(img.id)) entry.lastUsed = now;
      this.seen.set(img.id, entry);
    }
    for (const id of this.seen.keys()) if (!images.some((i) => i.id === id)) this.seen.delete(id);
    return { images, inUse };
  }

  /** One GC pass; resolves with the ids removed. */
  async run(): Promise<string[]> {
    const { images, inUse } = await this.detect();
    const { highPercent, lowPercent } = this.opts.policy;
    if (highPercent >= 100) return [];
    const usage = this.opts.usage?.() ?? statfsUsage(this.opts.fsPath ?? "/");
    if (usage.capacityBytes <= 0) return [];
    const usedPercent = 100 - Math.floor((usage.availableBytes * 100) / usage.capacityBytes);
    if (usedPercent < highPercent) return [];
    const toFree = usage.capacityBytes * ((100 - lowPercent) / 100) - usage.availableBytes;
    this.opts.log?.(`image GC: disk usage ${usedPercent}% is at or above the high threshold ${highPercent}%, freeing ${Math.max(0, Math.round(toFree))} bytes down to ${lowPercent}%`);
    const now = this.now();
    const minAge = this.opts.policy.minAgeMs ?? 120_000;
    const candidates = images
      .filter((img) => !inUse.has(img.id))
      .map((img) => ({ img, ...this.seen.get(img.id)! }))
      .filter((c) => now - c.firstDetected >= minAge)
      .sort((a, b) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    let freed = 0;
    const removed: string[] = [];
    for (const c of candidates) {
      if (freed >= toFree) break;
      try {
        await this.opts.images.removeImage(c.img.id);
        freed += Number(c.img.size);
        removed.push(c.img.id);
        this.seen.delete(c.img.id);
        this.opts.log?.(`image GC: removed ${namesOf(c.img)[0] ?? c.img.id} (${c.img.size} bytes)`);
      } catch (err) {
        this.opts.log?.(`image GC: removing ${c.img.id}: ${(err as Error).message}`);
      }
    }
    if (freed < toFree) {
      this.opts.warn?.("FreeDiskSpaceFailed", `Failed to garbage collect required amount of images. Attempted to free ${Math.round(toFree)} bytes, but only found ${freed} bytes eligible to free.`);
    }
    return removed;
  }
}
