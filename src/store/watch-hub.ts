// Fans committed events out to watchers, in revision order, and keeps a ring of recent
// events so a watch that resumes from a recent revision is served from memory.
import type { StoreEvent } from "./types.ts";

export type Listener = (events: readonly StoreEvent[]) => void;

interface Subscriber {
  prefix: string;
  listener: Listener;
}

export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();
  private ring: StoreEvent[] = [];

  constructor(private readonly ringSize: number) {}

  /** Oldest revision the ring can replay from (events with revision > this are all present). */
  get ringStart(): number {
    return this.ring.length ? this.ring[0]!.revision - 1 : Infinity;
  }

  /** Called once per committed batch, in revision order. */
  publish(events: readonly StoreEvent[]): void {
    if (events.length === 0) return;
    this.ring.push(...events);
    if (this.ring.length > this.ringSize * 2) this.ring = this.ring.slice(this.ring.length - this.ringSize);
    for (const s of this.subscribers) {
      const mine = events.filter((e) => e.key.startsWith(s.prefix));
      if (mine.length) s.listener(mine);
    }
  }

  /** Events after `revision` under `prefix` from the ring, or undefined if the ring doesn't reach back that far. */
  replay(prefix: string, revision: number): StoreEvent[] | undefined {
    if (revision < this.ringStart) return undefined;
    const out: StoreEvent[] = [];
    // The ring is ordered by revision: binary-search the first event after `revision`.
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.ring.length; i++) if (this.ring[i]!.key.startsWith(prefix)) out.push(this.ring[i]!);
    return out;
  }

  subscribe(prefix: string, listener: Listener): () => void {
    const s = { prefix, listener };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }
}
