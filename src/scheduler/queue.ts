// kube-scheduler's scheduling queue: an active queue ordered by priority then age, a back-off
// queue of pods waiting out their back-off (1 s doubling to 10 s per failed attempt), and the
// unschedulable pods parked until a cluster change (a node added or updated, a pod leaving a
// node) might let them fit. A pod is in at most one of them, or in flight between pop() and the
// scheduler's verdict. Keys are "namespace/name".
import { type Clock, realClock, Heap } from "../client/index.ts";

export interface QueuedPod {
  key: string;
  priority: number;
  /** creationTimestamp in ms: older pods go first among equal priorities. */
  created: number;
  /** Scheduling attempts so far; the back-off grows with them. */
  attempts: number;
  /** When the last attempt failed: the back-off counts from here. */
  failedAt: number;
  /** The scheduling cycle of the pod's last pop. */
  cycle: number;
}

export interface SchedulingQueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods are retried after this long even without a cluster change (kube: 5 min). */
  maxUnschedulableMs?: number;
  clock?: Clock;
}

type Where = "active" | "backoff" | "unschedulable" | "inFlight";

interface Entry {
  pod: QueuedPod;
  where: Where;
  /** Bumped whenever the pod leaves a heap, so stale heap entries are skipped (lazy deletion). */
  gen: number;
  seq: number;
  backoffUntil: number;
  parkedAt: number;
}

interface HeapItem {
  entry: Entry;
  gen: number;
}

export class SchedulingQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly active = new Heap<HeapItem>((a, b) => {
    const x = a.entry;
    const y = b.entry;
    if (x.pod.priority !== y.pod.priority) return x.pod.priority > y.pod.priority;
    if (x.pod.created !== y.pod.created) return x.pod.created < y.pod.created;
    return x.seq < y.seq;
  });
  private readonly backoff = new Heap<HeapItem>((a, b) => a.entry.backoffUntil < b.entry.backoffUntil);
  private readonly waiters: ((pod: QueuedPod | undefined) => void)[] = [];
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private activeCount = 0;
  private seq = 0;
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private backoffTimer: { at: number; handle: unknown } | undefined;
  private flushTimer: unknown;
  private closed = false;

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 300_000;
  }

  /** Pods waiting in the active queue. */
  get activeLength(): number {
    return this.activeCount;
  }

  /** Where the pod is: undefined when the queue does not hold it. */
  where(key: string): Where | undefined {
    return this.entries.get(key)?.where;
  }

  /** A new pending pod goes to the active queue; a pod already held is left where it is. */
  add(key: string, priority: number, created: number): void {
    if (this.closed || this.entries.has(key)) return;
    const entry: Entry = {
      pod: { key, priority, created, attempts: 0, failedAt: 0, cycle: 0 },
      // Not yet in a heap: toActive() files it.
      where: "inFlight",
      gen: 0,
      seq: this.seq++,
      backoffUntil: 0,
      parkedAt: 0,
    };
    this.entries.set(key, entry);
    this.toActive(entry);
  }

  /**
   * The pod's spec changed: one parked as unschedulable may fit now, so it leaves the parking
   * lot (kube's isPodUpdated); a queued one takes its new priority.
   */
  update(key: string, priority: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    const changed = entry.pod.priority !== priority;
    entry.pod.priority = priority;
    if (entry.where === "unschedulable") this.release(entry);
    else if (entry.where === "active" && changed) this.toActive(entry);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.leave(entry);
    this.entries.delete(key);
  }

  /** The next pod to schedule without waiting, if one is active. */
  tryPop(): QueuedPod | undefined {
    for (let item = this.active.pop(); item; item = this.active.pop()) {
      const entry = item.entry;
      if (item.gen !== entry.gen || entry.where !== "active") continue;
      this.activeCount--;
      entry.gen++;
      entry.where = "inFlight";
      entry.pod.attempts++;
      entry.pod.cycle = ++this.schedulingCycle;
      return entry.pod;
    }
    return undefined;
  }

  /** The next pod to schedule, waiting for one; undefined once the queue is closed. */
  pop(): Promise<QueuedPod | undefined> {
    const pod = this.tryPop();
    if (pod || this.closed) return Promise.resolve(pod);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The pod popped last was bound (or assumed) or dropped: the queue forgets it. */
  done(key: string): void {
    const entry = this.entries.get(key);
    if (entry?.where === "inFlight") this.entries.delete(key);
  }

  /**
   * The pod fits nowhere. It is parked until a cluster change, unless one happened while it was
   * being scheduled (kube's moveRequestCycle): then the change may already have made room, so it
   * only waits out its back-off.
   */
  requeueUnschedulable(pod: QueuedPod): void {
    const entry = this.requeued(pod);
    if (!entry) return;
    if (this.moveRequestCycle >= pod.cycle) return this.toBackoff(entry);
    entry.where = "unschedulable";
    entry.parkedAt = this.clock.now();
    this.armFlush();
  }

  /** The attempt failed for another reason (a bind error): retry after the back-off. */
  requeueBackoff(pod: QueuedPod): void {
    const entry = this.requeued(pod);
    if (entry) this.toBackoff(entry);
  }

  /** A cluster change: every parked pod goes back, to the active queue once its back-off is over. */
  moveAllToActiveOrBackoff(): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const entry of this.entries.values()) if (entry.where === "unschedulable") this.release(entry);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /** kube's calculateBackoffDuration: initial · 2^(attempts-1), capped. */
  backoffFor(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  private requeued(pod: QueuedPod): Entry | undefined {
    if (this.closed) return undefined;
    let entry = this.entries.get(pod.key);
    // One re-added meanwhile is already queued. A pod whose bind failed was done() with: it comes
    // back (the scheduler drops it at its next pop if it has gone meanwhile).
    if (entry && entry.where !== "inFlight") return undefined;
    if (!entry) {
      entry = { pod, where: "inFlight", gen: 0, seq: this.seq++, backoffUntil: 0, parkedAt: 0 };
      this.entries.set(pod.key, entry);
    }
    entry.pod.failedAt = this.clock.now();
    entry.backoffUntil = entry.pod.failedAt + this.backoffFor(entry.pod.attempts);
    return entry;
  }

  private release(entry: Entry): void {
    if (entry.backoffUntil > this.clock.now()) this.toBackoff(entry);
    else this.toActive(entry);
  }

  private leave(entry: Entry): void {
    if (entry.where === "active") this.activeCount--;
    entry.gen++;
  }

  private toActive(entry: Entry): void {
    this.leave(entry);
    this.activeCount++;
    entry.where = "active";
    const waiter = this.waiters.shift();
    if (waiter) {
      // Hand it straight to a waiting scheduler loop.
      this.active.push({ entry, gen: entry.gen });
      waiter(this.tryPop());
      return;
    }
    this.active.push({ entry, gen: entry.gen });
  }

  private toBackoff(entry: Entry): void {
    this.leave(entry);
    entry.where = "backoff";
    this.backoff.push({ entry, gen: entry.gen });
    this.armBackoff();
  }

  /** One timer for the earliest back-off expiry; when it fires, every expired pod turns active. */
  private armBackoff(): void {
    let top = this.backoff.peek();
    while (top && (top.gen !== top.entry.gen || top.entry.where !== "backoff")) {
      this.backoff.pop();
      top = this.backoff.peek();
    }
    if (!top || this.closed) return;
    const at = top.entry.backoffUntil;
    if (this.backoffTimer && this.backoffTimer.at <= at) return;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    const handle = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      const now = this.clock.now();
      for (let item = this.backoff.peek(); item; item = this.backoff.peek()) {
        const entry = item.entry;
        if (item.gen === entry.gen && entry.where === "backoff" && entry.backoffUntil > now) break;
        this.backoff.pop();
        if (item.gen === entry.gen && entry.where === "backoff") this.toActive(entry);
      }
      this.armBackoff();
    }, Math.max(0, at - this.clock.now()));
    this.backoffTimer = { at, handle };
  }

  /** Parked pods are retried after maxUnschedulableMs even if nothing changed (kube's flushUnschedulablePodsLeftover). */
  private armFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      const now = this.clock.now();
      let parked = false;
      for (const entry of this.entries.values()) {
        if (entry.where !== "unschedulable") continue;
        if (now - entry.parkedAt >= this.maxUnschedulableMs) this.release(entry);
        else parked = true;
      }
      if (parked) this.armFlush();
    }, Math.min(this.maxUnschedulableMs, 30_000));
  }
}
