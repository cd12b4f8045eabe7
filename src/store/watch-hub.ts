// Fans committed events out to watchers, in revision order, and keeps a ring of recent
// events so a watch that resumes from a recent revision is served from memory.
//
// The ring holds each event's JSON text, not its objects: most of its events are of revisions
// no longer current, and their parsed objects would otherwise stay alive for nothing, at about
// twice the size of the text. The text is the one the store already made for the log (and for
// a current object, the one its answers share). A replay parses it back.
import { objectJson, parseStored } from "./json.ts";
import type { StoreEvent } from "./types.ts";
import { resourceOf } from "./live-state.ts";

export type Listener = (events: readonly StoreEvent[]) => void;

interface Subscriber {
  prefix: string;
  listener: Listener;
  /** Unsubscribed: a publish under way skips it, as it skipped a watcher closed by an earlier one. */
  closed: boolean;
}

interface RingEvent {
  type: StoreEvent["type"];
  key: string;
  revision: number;
  json: string;
  prevJson?: string;
}

export interface RingLimits {
  /** Events kept (at least; up to a quarter more between trims). */
  events: number;
  /** JSON bytes kept: a ring of big objects keeps fewer events. */
  bytes: number;
}

/**
 * What an event's texts may hold. A prev text is often the very string of the key's previous
 * event (then counted twice), but not once that event has left the ring.
 */
const eventBytes = (json: string, prevJson: string | undefined) => json.length + (prevJson?.length ?? 0);

/**
 * The ring's default bound in JSON characters. The ring's texts are most of the store's memory
 * beyond the objects themselves (each current object's text is kept while its event is in the
 * ring), and what needs them is recent: the in-process informers take a write's event from the
 * ring (event-lines.ts) a moment after it is published, and a watch resuming from a revision
 * older than the ring is served from the log instead, with the same events. 4 MiB holds a
 * couple of thousand pod writes, a second or so of bench:memory's busiest phase (~3,500 creates/s
 * beside the bindings and status writes), and the informers lost none there
 * (informer_events_parsed 0 at 50,000 pods, as with 8 MiB, which held ~4 MB more text, and 32
 * MiB before it, ~25 MB more at 10,000 pods, for no reader).
 */
export const DEFAULT_RING_BYTES = 4 * 2 ** 20;

export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();
  /**
   * The subscribers whose prefix lies within one resource ("/core/configmaps/bench/"), by that
   * resource: a batch's events are matched against its own resources' watchers only, not every
   * watcher against every event (the in-server controllers alone hold a few dozen watches).
   * A prefix above one resource (RBAC's whole group) is in `broad`.
   */
  private readonly byResource = new Map<string, Subscriber[]>();
  private readonly broad: Subscriber[] = [];
  private ring: RingEvent[] = [];
  private ringBytes = 0;
  private readonly limits: RingLimits;

  /** `onTrim` hears of the events that leave the ring, oldest first. */
  constructor(
    limits: number | Partial<RingLimits>,
    private readonly onTrim?: (dropped: readonly { key: string; revision: number }[]) => void,
  ) {
    const l = typeof limits === "number" ? { events: limits } : limits;
    this.limits = { events: l.events ?? 10_000, bytes: l.bytes ?? DEFAULT_RING_BYTES };
  }

  /** Oldest revision the ring can replay from (events with revision > this are all present). */
  get ringStart(): number {
    return this.ring.length ? this.ring[0]!.revision - 1 : Infinity;
  }

  /** Events in the ring now. */
  get ringLength(): number {
    return this.ring.length;
  }

  /** JSON characters the ring's events hold (a prev text shared with the event before it counts twice). */
  get ringTextBytes(): number {
    return this.ringBytes;
  }

  /** Called once per committed batch, in revision order. */
  publish(events: readonly StoreEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      const json = objectJson(e.object);
      const prevJson = e.prev && objectJson(e.prev);
      this.ring.push({ type: e.type, key: e.key, revision: e.revision, json, prevJson });
      this.ringBytes += eventBytes(json, prevJson);
    }
    this.trim();
    for (const s of this.broad) deliver(s, events, false);
    for (const [resource, group] of splitByResource(events)) {
      const subs = this.byResource.get(resource);
      if (subs) for (const s of subs) deliver(s, group, s.prefix === resource);
    }
  }

  /** Events after `revision` under `prefix` from the ring, or undefined if the ring doesn't reach back that far. */
  replay(prefix: string, revision: number): StoreEvent[] | undefined {
    if (revision < this.ringStart) return undefined;
    const out: StoreEvent[] = [];
    for (let i = this.firstAfter(revision); i < this.ring.length; i++) {
      const e = this.ring[i]!;
      if (!e.key.startsWith(prefix)) continue;
      out.push({ type: e.type, key: e.key, revision: e.revision, object: parseStored(e.json), prev: e.prevJson === undefined ? undefined : parseStored(e.prevJson) });
    }
    return out;
  }

  /** The key written at `revision`, while its event is in the ring. */
  keyAt(revision: number): string | undefined {
    const e = this.ring[this.firstAfter(revision - 1)];
    return e?.revision === revision ? e.key : undefined;
  }

  /** The index of the ring's first event after `revision` (the ring is ordered by revision). */
  private firstAfter(revision: number): number {
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  subscribe(prefix: string, listener: Listener): () => void {
    const s: Subscriber = { prefix, listener, closed: false };
    this.subscribers.add(s);
    // Copied on change, never changed in place: a publish under way goes on over the list it took.
    const resource = resourceOf(prefix);
    const within = isResource(resource);
    if (within) this.byResource.set(resource, [...(this.byResource.get(resource) ?? []), s]);
    else this.broad.push(s);
    return () => {
      if (!this.subscribers.delete(s)) return;
      s.closed = true;
      if (!within) this.broad.splice(this.broad.indexOf(s), 1);
      else {
        const rest = this.byResource.get(resource)!.filter((x) => x !== s);
        if (rest.length) this.byResource.set(resource, rest);
        else this.byResource.delete(resource);
      }
    };
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }

  /**
   * Past a limit by a quarter, drops the oldest events down to it: one slice per many publishes,
   * and the ring's peak stays near its limit.
   */
  private trim(): void {
    const { events, bytes } = this.limits;
    if (this.ring.length <= events * 1.25 && this.ringBytes <= bytes * 1.25) return;
    let cut = Math.max(0, this.ring.length - events);
    for (let i = 0; i < cut; i++) this.ringBytes -= eventBytes(this.ring[i]!.json, this.ring[i]!.prevJson);
    while (this.ringBytes > bytes && cut < this.ring.length - 1) this.ringBytes -= eventBytes(this.ring[cut]!.json, this.ring[cut++]!.prevJson);
    const dropped = this.ring.slice(0, cut);
    this.ring = this.ring.slice(cut);
    this.onTrim?.(dropped);
  }
}

/** "/core/pods/": a resource's whole prefix (resourceOf of a shorter prefix is that prefix itself). */
const isResource = (prefix: string) => prefix.split("/").length === 4 && prefix.endsWith("/");

/** The subscriber's events of a batch (all of `events` when its prefix is their whole resource). */
function deliver(s: Subscriber, events: readonly StoreEvent[], all: boolean): void {
  if (s.closed) return;
  const mine = all ? events : events.filter((e) => e.key.startsWith(s.prefix));
  if (mine.length) s.listener(mine);
}

/** A batch's events by resource, each in revision order: a batch is mostly of one resource. */
function splitByResource(events: readonly StoreEvent[]): Iterable<[string, readonly StoreEvent[]]> {
  const first = resourceOf(events[0]!.key);
  let i = 1;
  while (i < events.length && resourceOf(events[i]!.key) === first) i++;
  if (i === events.length) return [[first, events]];
  const groups = new Map<string, StoreEvent[]>();
  for (const e of events) {
    const resource = resourceOf(e.key);
    const group = groups.get(resource);
    if (group) group.push(e);
    else groups.set(resource, [e]);
  }
  return groups;
}
