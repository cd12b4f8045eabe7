// Makes a container's image present before it starts (kubelet's imageManager.EnsureImageExists):
// the pull policy decides whether a local image will do; a missing image is first looked for among
// the node's image tarballs (no registry is the normal case here), then pulled through CRI. A
// failed pull backs off per image — 10 s doubling to 5 min, as kubelet — and the waiting reasons
// and events carry kubelet's words: ErrImagePull, ImagePullBackOff, ErrImageNeverPull.
import type { Container } from "../../src/apis/index.ts";
import { CriError, type ImageService } from "../cri/index.ts";
import { Backoff, type BackoffOptions } from "./backoff.ts";

export type PodEvent = (type: "Normal" | "Warning", reason: string, message: string) => void;
export type Waiting = { reason: string; message?: string };

export interface ImagePullerOptions {
  images: ImageService;
  /** Imports image tarballs that appeared since the last call (the agent's images folders). */
  importImages?: () => Promise<unknown>;
  backoff?: BackoffOptions;
  now?: () => number;
}

/** Kubernetes' default: Always for :latest or untagged images, IfNotPresent otherwise. */
export function pullPolicy(c: Container): "Always" | "IfNotPresent" | "Never" {
  const image = c.image ?? "";
  return c.imagePullPolicy ?? (image.includes("@") || !/:[^/]+$/.test(image) || image.endsWith(":latest") ? "Always" : "IfNotPresent");
}

const GRPC_CODES = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"];

/** The error as kubelet shows a CRI failure. */
const pullError = (err: unknown) => (err instanceof CriError ? `rpc error: code = ${GRPC_CODES[err.code] ?? err.code} desc = ${err.details}` : (err as Error).message);

/** One pod's images: the back-off of each, and the events already told for the current wait. */
export class ImagePuller {
  private readonly backoff: Backoff;
  private readonly failedAt = new Map<string, number>();
  private readonly toldBackOff = new Map<string, number>();
  private readonly toldNeverPull = new Set<string>();

  constructor(private readonly opts: ImagePullerOptions) {
    this.backoff = new Backoff(opts.backoff);
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Resolves with why the container must wait, or undefined once its image is present. */
  async ensure(c: Container, event: PodEvent): Promise<Waiting | undefined> {
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
    if (!present) event("Normal", "Pulling", `Pulling image "${image}"`);
    try {
      await this.opts.images.pullImage(image);
      if (!present) event("Normal", "Pulled", `Successfully pulled image "${image}"`);
      return this.succeeded(image);
    } catch (err) {
      // No registry reachable is normal here: a local copy still runs under Always.
      if (present) return this.succeeded(image);
      const message = pullError(err);
      event("Warning", "Failed", `Failed to pull image "${image}": ${message}`);
      event("Warning", "Failed", "Error: ErrImagePull");
      this.backoff.next(`${image}|`);
      this.failedAt.set(image, this.now());
      return { reason: "ErrImagePull", message };
    }
  }

  private succeeded(image: string): undefined {
    this.failedAt.delete(image);
    this.toldBackOff.delete(image);
    // The separator keeps forget() from matching images whose names extend this one.
    this.backoff.forget(`${image}|`);
    return undefined;
  }
}
