// The event recorder of controllers, scheduler and agent (client-go's EventBroadcaster +
// EventCorrelator, reduced):
// an exact repeat of an event about the same object becomes one Event whose count and
// lastTimestamp grow (a PATCH), a spam filter caps how many events one object can emit, and
// writes happen in the background so a sync never waits on them. Old events are deleted by the
// store's leases (src/store/leases.ts, kube-apiserver's --event-ttl), never by a client sweep.
import type { Event } from "../apis/core/event.ts";
import type { KubeObject } from "../apis/meta.ts";
import type { KubeClient } from "./kube-client.ts";
import { resourceFor, resourcePath } from "./paths.ts";
import { PATCH_CONTENT_TYPES } from "./types.ts";
import { eventObject } from "./event-object.ts";
import { formatTime } from "../apis/time.ts";
import { isNotFound } from "../apis/errors.ts";

export interface EventRecorder {
  /** Records an Event about `object`; repeats of the same event are aggregated (count, lastTimestamp). */
  event(object: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void;
}

/**
 * The writes a recorder needs; KubeClient provides them through kubeEventSink. Only success
 * matters: the recorder names its events itself, so the object answered is never read.
 */
export interface EventSink {
  create(namespace: string, event: Event): Promise<unknown>;
  patch(namespace: string, name: string, patch: Partial<Event>): Promise<unknown>;
}

/** Answers are drained undecoded: a scheduler records an event per pod, and decoding each echo cost it CPU. */
export function kubeEventSink(client: KubeClient): EventSink {
  const r = resourceFor("Event");
  return {
    create: (ns, ev) => client.request("POST", resourcePath(r, ns), { body: ev, discardBody: true }),
    patch: (ns, name, patch) => client.request("PATCH", resourcePath(r, ns, name), { body: patch, contentType: PATCH_CONTENT_TYPES.merge, discardBody: true }),
  };
}

export interface RecorderOptions {
  /** Events one object may emit at once before the filter throttles it (client-go: 25). */
  burst?: number;
  /** Seconds for one token to come back to an object's bucket (client-go: 300). */
  refillSeconds?: number;
  /** Aggregation keys remembered (client-go: 4096); the oldest are forgotten first. */
  cacheSize?: number;
  /** Writes in flight beyond which new events are dropped rather than queued without bound. */
  maxPending?: number;
  onError?: (err: unknown) => void;
}

interface Aggregate {
  namespace: string;
  name?: string;
  count: number;
  /** Writes for one aggregate run in order: the create must land before its patches. */
  chain: Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class EventRecorderImpl {
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly pending = new Set<Promise<void>>();
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly cacheSize: number;
  private readonly maxPending: number;
  private seq = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly now: () => Date = () => new Date(),
    private readonly opts: RecorderOptions = {},
  ) {
    this.burst = opts.burst ?? 25;
    this.refillMs = (opts.refillSeconds ?? 300) * 1000;
    this.cacheSize = opts.cacheSize ?? 4096;
    this.maxPending = opts.maxPending ?? 1000;
  }

  /** The recorder a component (controller, scheduler) reports through. */
  forComponent(component: string): EventRecorder {
    return { event: (object, type, reason, message) => this.record(component, object, type, reason, message) };
  }

  /** Resolves once every write started so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  record(component: string, object: KubeObject, type: "Normal" | "Warning", reason: string, message: string): void {
    const meta = object.metadata;
    const objectId = `${component}|${object.kind}|${meta.namespace ?? ""}|${meta.name}|${meta.uid ?? ""}`;
    if (this.pending.size >= this.maxPending || !this.take(objectId)) return;
    const key = `${objectId}|${type}|${reason}|${message}`;
    const at = formatTime(this.now());
    let agg = this.aggregates.get(key);
    if (agg) {
      // Refresh its place: the map's insertion order is the eviction order.
      this.aggregates.delete(key);
      this.aggregates.set(key, agg);
      agg.count++;
      const count = agg.count;
      this.enqueue(agg, async () => {
        if (!agg!.name) return this.create(agg!, component, object, type, reason, message, at);
        try {
          await this.sink.patch(agg!.namespace, agg!.name, { count, lastTimestamp: at });
        } catch (err) {
          // The event expired (TTL) or was deleted: start a new one.
          if (!isNotFound(err)) throw err;
          agg!.count = 1;
          await this.create(agg!, component, object, type, reason, message, at);
        }
      });
      return;
    }
    agg = { namespace: meta.namespace || "default", count: 1, chain: Promise.resolve() };
    this.aggregates.set(key, agg);
    if (this.aggregates.size > this.cacheSize) this.aggregates.delete(this.aggregates.keys().next().value!);
    const created = agg;
    this.enqueue(created, () => this.create(created, component, object, type, reason, message, at));
  }

  private async create(agg: Aggregate, component: string, object: KubeObject, type: string, reason: string, message: string, at: string): Promise<void> {
    const meta = object.metadata;
    // Named as client-go names them: the object's name and a unique, time-ordered suffix.
    const name = `${meta.name}.${(this.now().getTime() * 1000 + (this.seq++ % 1000)).toString(16)}`;
    await this.sink.create(agg.namespace, eventObject(object, { name, namespace: agg.namespace, type, reason, message, component, at, count: agg.count }) as Event);
    agg.name = name;
  }

  private enqueue(agg: Aggregate, write: () => Promise<void>): void {
    const run = agg.chain.then(write).catch((err) => (this.opts.onError ?? ((e) => console.warn("event:", e)))(err));
    agg.chain = run;
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  /** client-go's EventSourceObjectSpamFilter: a token bucket per (component, object). */
  private take(objectId: string): boolean {
    const t = this.now().getTime();
    const bucket = this.buckets.get(objectId) ?? { tokens: this.burst, at: t };
    const refilled = Math.min(this.burst, bucket.tokens + (t - bucket.at) / this.refillMs);
    if (refilled < 1) {
      this.buckets.set(objectId, { tokens: refilled, at: t });
      return false;
    }
    this.buckets.delete(objectId);
    this.buckets.set(objectId, { tokens: refilled - 1, at: t });
    if (this.buckets.size > this.cacheSize) this.buckets.delete(this.buckets.keys().next().value!);
    return true;
  }
}

/** A ControllerContext's `recorder`, plus flush() to wait for the writes in flight. */
export type RecorderFactory = ((component: string) => EventRecorder) & { flush(): Promise<void> };

/** The ControllerContext's `recorder`: one shared aggregator, one recorder per component. */
export function createRecorderFactory(client: KubeClient, now: () => Date = () => new Date(), opts: RecorderOptions = {}): RecorderFactory {
  const impl = new EventRecorderImpl(kubeEventSink(client), now, opts);
  const factory = (component: string) => impl.forComponent(component);
  return Object.assign(factory, { flush: () => impl.flush() });
}
