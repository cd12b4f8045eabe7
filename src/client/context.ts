// What every controller (and the scheduler) is built from: an API client, the shared
// informers, an event recorder and a clock. Controllers are API clients only.
import { createRecorderFactory, type EventRecorder, type RecorderOptions } from "./event-recorder.ts";

export type { EventRecorder } from "./event-recorder.ts";
import { SharedInformerFactory } from "./informer-factory.ts";
import type { KubeClient } from "./kube-client.ts";

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

/** A ControllerContext over one client: its own informer factory and event recorder. */
export function createControllerContext(
  client: KubeClient,
  opts: { now?: () => Date; events?: RecorderOptions } = {},
): ControllerContext & { flushEvents(): Promise<void> } {
  const now = opts.now ?? (() => new Date());
  const recorder = createRecorderFactory(client, now, opts.events);
  return { client, informers: new SharedInformerFactory(client), recorder, now, flushEvents: () => recorder.flush() };
}
