// Makes a container's image present before it starts (kubelet's imageManager.EnsureImageExists):
// the pull policy decides whether a local image will do; a missing image is first looked for among
// the node's image tarballs (the airgap images folders), then pulled through CRI with the pod's
// registry credentials, each matching one tried in turn and then none, as kubelet does. Pulls go
// through the node's pull queue (one at a time unless --serialize-image-pulls=false, as kubelet)
// and have a deadline. A failed pull backs off per image — 10 s doubling to 5 min, as kubelet —
// and the waiting reasons and events carry kubelet's words: Pulling, Pulled (with duration and
// size), ErrImagePull with the registry's message, ImagePullBackOff, ErrImageNeverPull.
import type { Container } from "../../src/apis/index.ts";
import { CriError, type AuthConfig, type ImageService } from "../cri/index.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";

export type PodEvent = (type: "Normal" | "Warning", reason: string, message: string) => void;
export type Waiting = { reason: string; message?: string };

/** kubelet's default pull deadline has no flag; the CRI call of a stuck registry must end somewhere. */
export const DEFAULT_PULL_DEADLINE_MS = 5 * 60_000;

/**
 * The node's image pulls (kubelet's serialImagePuller / parallelImagePuller): with `serialize`
 * one pull runs at a time and the others wait their turn, which is the "including waiting" part
 * of the Pulled event.
 */
export class PullQueue {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number = 1) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiters.shift()?.();
    }
  }
}

export interface ImagePullerOptions {
  images: ImageService;
  /** Imports image tarballs that appeared since the last call (the agent's images folders). */
  importImages?: () => Promise<unknown>;
  /** Shared by the node's pod workers; default: a queue of this puller's own, one pull at a time. */
  queue?: PullQueue;
  /** How long one pull may take (default 5 min). */
  pullDeadlineMs?: number;
  backoff?: BackoffOptions;
  now?: () => number;
}

/** Kubernetes' default: Always for :latest or untagged images, IfNotPresent otherwise (a digest too). */
export function pullPolicy(c: Container): "Always" | "IfNotPresent" | "Never" {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? "";
  if (image.includes("@")) return "IfNotPresent";
  const tail = image.slice(image.lastIndexOf("/") + 1);
  return !tail.includes(":") || tail.endsWith(":latest") ? "Always" : "IfNotPresent";
}

const GRPC_CODES = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"];

/** The error as kubelet shows a CRI failure. */
export const criMessage = (err: unknown) => (err instanceof CriError ? `rpc error: code = ${GRPC_CODES[err.code] ?? err.code} desc = ${err.details}` : (err as Error).message);

/** A duration as Go's time.Duration prints it after Truncate(time.Millisecond): "850ms", "1.2s", "1m2.5s". */
export function goDuration(ms: number): string {
  ms = Math.max(0, Math.trunc(ms));
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const trim = (s: string) => s.replace(/\.?0+$/, "");
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = trim(((ms % 60_000) / 1000).toFixed(3));
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}

/** One pod's images: the back-off of each, and the events already told for the current wait. */
export class ImagePuller {
  private readonly backoff: Backoff;
  private readonly queue: PullQueue;
  private readonly failedAt = new Map<string, number>();
  private readonly toldBackOff = new Map<string, number>();
  private readonly toldNeverPull = new Set<string>();

  constructor(private readonly opts: ImagePullerOptions) {
    this.backoff = new Backoff(opts.backoff);
    this.queue = opts.queue ?? new PullQueue(1);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * Resolves with why the container must wait, or undefined once its image is present.
   * `credentials` gives the pod's pull secrets that match the image (kubelet's keyring lookup);
   * asked only when a pull is due.
   */
  async ensure(c: Container, event: PodEvent, credentials: (image: string) => Promise<AuthConfig[]> = async () => []): Promise<Waiting | undefined> {
    const image = c.image ?? "";
    const policy = pullPolicy(c);
    let present = await this.opts.images.imageStatus(image);
    if (!present && policy === "Never") {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      // Told once per wait: the worker asks again on every pass.
      if (!this.toldNeverPull.has(image)) {
        this.toldNeverPull.add(image);
        event("Warning", "ErrImageNeverPull", message);
        event("Warning", "Failed", "Error: ErrImageNeverPull");
      }
      return { reason: "ErrImageNeverPull", message };
    }
    this.toldNeverPull.delete(image);
    if (present && policy !== "Always") {
      event("Normal", "Pulled", `Container image "${image}" already present on machine`);
      return undefined;
    }

    const failedAt = this.failedAt.get(image);
    if (failedAt !== undefined && this.now() < failedAt + this.backoff.delay(`${image}|`)) {
      const message = `Back-off pulling image "${image}"`;
      if (this.toldBackOff.get(image) !== failedAt) {
        this.toldBackOff.set(image, failedAt);
        event("Normal", "BackOff", message);
        event("Warning", "Failed", "Error: ImagePullBackOff");
      }
      return { reason: "ImagePullBackOff", message };
    }
    if (!present && this.opts.importImages) {
      // A tarball dropped into the images folder since the last import brings the image here.
      await this.opts.importImages();
      present = await this.opts.images.imageStatus(image);
      if (present && policy !== "Always") return this.succeeded(image);
    }
    event("Normal", "Pulling", `Pulling image "${image}"`);
    const asked = this.now();
    try {
      const { pulledMs, size } = await this.queue.run(async () => {
        const start = this.now();
        const ref = await this.pull(image, await credentials(image));
        const pulled = this.now() - start;
        const status = await this.opts.images.imageStatus(ref).catch(() => null);
        return { pulledMs: pulled, size: status?.size ?? "0" };
      });
      event("Normal", "Pulled", `Successfully pulled image "${image}" in ${goDuration(pulledMs)} (${goDuration(this.now() - asked)} including waiting). Image size: ${size} bytes.`);
      return this.succeeded(image);
    } catch (err) {
      const message = criMessage(err);
      event("Warning", "Failed", `Failed to pull image "${image}": ${message}`);
      event("Warning", "Failed", "Error: ErrImagePull");
      this.backoff.next(`${image}|`);
      this.failedAt.set(image, this.now());
      return { reason: "ErrImagePull", message };
    }
  }

  /** Each matching credential in turn, as kubelet's pullImage: the first that works wins, else the last error. */
  private async pull(image: string, credentials: AuthConfig[]): Promise<string> {
    const deadline = this.opts.pullDeadlineMs ?? DEFAULT_PULL_DEADLINE_MS;
    if (!credentials.length) return this.opts.images.pullImage(image, undefined, deadline);
    let last: unknown;
    for (const auth of credentials) {
      try {
        return await this.opts.images.pullImage(image, auth, deadline);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  private succeeded(image: string): undefined {
    this.failedAt.delete(image);
    this.toldBackOff.delete(image);
    // The separator keeps forget() from matching images whose names extend this one.
    this.backoff.forget(`${image}|`);
    return undefined;
  }
}
