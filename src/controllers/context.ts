// What every controller (and the scheduler) is built from: an API client, the shared
// informers, an event recorder and a clock. Controllers are API clients only.
import type { KubeObject } from "../apis/meta.ts";
import type { KubeClient, SharedInformerFactory } from "../client/index.ts";

export interface EventRecorder {
  /** Records an Event about `object`; repeats of the same event are aggregated (count, lastTimestamp). */
  event(object: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void;
}

export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformerFactory;
  recorder: (component: string) => EventRecorder;
  now: () => Date;
}

/** A running controller (or scheduler): stop() waits for its workers to finish. */
export interface Running {
  stop(): Promise<void>;
}
