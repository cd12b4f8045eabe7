// bench:memory --owners: the server's live JS heap by owner, not by cell type. A heap snapshot
// cannot say it: JSC's snapshot has no edges out of a Map's or a Set's storage, so what a Map
// holds has no retainer path, and the stored objects are shared by the store, the in-process
// informers and the scheduler anyway. Instead the settled server is taken apart, one owner at a
// time, with a full collection after each step: what the heap lost in a step is what that owner
// held that nothing still standing held too. The order decides where shared bytes land (a
// stored pod is counted with the store's pods, after the informer caches that share it went
// first). It ends the server's usefulness: run last, in the bench's own server process.
//
// It reaches into private fields of the store, the informers and their caches (casts below):
// accounting only, nothing here is for a server that keeps running.
import { heapStats } from "bun:jsc";
import type { RunningServer } from "../src/cli/server.ts";

export interface OwnerRow {
  owner: string;
  /** JS heap bytes the step freed (heapSize after a full collection, before minus after). */
  heap: number;
  /** "Extra" bytes freed: strings' characters, ArrayBuffers (wasm memory among them). */
  extra: number;
  /** Cells freed. */
  cells: number;
  /** How many items the owner held (entries, keys, events), where it counts them. */
  items?: number;
}

export interface Measure {
  heap: number;
  extra: number;
  cells: number;
}

/** The JS heap after full collections: its size, its "extra" (strings' characters, buffers) and its cells. */
export function measure(): Measure {
  // Twice: WeakMap entries and WeakRefs whose targets died in the first go in the second.
  Bun.gc(true);
  Bun.gc(true);
  const s = heapStats();
  return { heap: s.heapSize, extra: s.extraMemorySize, cells: s.objectCount };
}

type AnyMap = Map<string, unknown>;
interface CacheInternals {
  objects: AnyMap;
  indices: Map<string, AnyMap>;
  indexers: Map<string, unknown>;
}
interface InformerInternals {
  cache: CacheInternals;
  handlers: Set<unknown>;
}
interface StoreInternals {
  hub: { ring: { key: string; revision: number }[]; ringBytes: number };
  forgetTexts(dropped: readonly { key: string; revision: number }[]): void;
  parts: { slots: unknown[]; hashes: Int32Array; keys: Map<string, number>; filled: number };
  live: { resources: Map<string, AnyMap>; order: Map<string, unknown>; recent: unknown[] };
  leases: { keys: unknown[]; times: number[]; revisions: number[]; head: number };
  tombstones: AnyMap;
}

/**
 * Each removal is made in a function of its own that returns counts only: no local of the caller
 * may still point at what it let go (JSC scans the stack conservatively, and an async function's
 * locals live in a heap object across its awaits).
 */
const clearIndex = (cache: CacheInternals, index: string): number => {
  const map = cache.indices.get(index)!;
  const n = map.size;
  map.clear();
  return n;
};
const clearObjects = (cache: CacheInternals): number => {
  const n = cache.objects.size;
  cache.objects.clear();
  return n;
};
const clearRing = (store: StoreInternals): [number, number] => {
  const counts: [number, number] = [store.hub.ring.length, store.hub.ringBytes];
  store.forgetTexts(store.hub.ring);
  store.hub.ring = [];
  store.hub.ringBytes = 0;
  return counts;
};
const clearParts = (store: StoreInternals): number => {
  const n = store.parts.filled;
  store.parts.slots.fill(undefined);
  store.parts.hashes.fill(0);
  store.parts.keys.clear();
  return n;
};
/** The expiring keys' clock (leases.ts): its queue of writes, emptied. */
const clearClock = (leases: StoreInternals["leases"]): number => {
  const n = leases.keys.length - leases.head;
  leases.keys = [];
  leases.times = [];
  leases.revisions = [];
  leases.head = 0;
  return n;
};
const clearMap = (map: AnyMap): number => {
  const n = map.size;
  map.clear();
  return n;
};
/**
 * Each stored object of `resource` replaced by a copy of its root and metadata without `part`
 * (the same cells, one property fewer): what is freed is what that part held that no other
 * object shares.
 */
const strip = (store: StoreInternals, resource: string, part: "managedFields" | "status"): number => {
  const entries = store.live.resources.get(resource) as Map<string, { object: Record<string, any> }> | undefined;
  if (!entries) return 0;
  for (const entry of entries.values()) {
    const { [part]: _root, ...root } = entry.object;
    const { [part]: _meta, ...metadata } = entry.object.metadata ?? {};
    entry.object = part === "managedFields" ? { ...entry.object, metadata } : root;
  }
  return entries.size;
};
const dropResource = (store: StoreInternals, resource: string): number => {
  const n = store.live.resources.get(resource)?.size ?? 0;
  store.live.resources.delete(resource);
  return n;
};

/** Takes the server apart owner by owner (see the top of the file); returns what each step freed. */
export async function heapByOwner(running: RunningServer): Promise<{ before: Measure; rows: OwnerRow[]; rest: Measure }> {
  const rows: OwnerRow[] = [];
  let last = measure();
  const before = last;
  const step = async (owner: string, items?: number) => {
    await Bun.sleep(20);
    const now = measure();
    rows.push({ owner, heap: last.heap - now.heap, extra: last.extra - now.extra, cells: last.cells - now.cells, items });
    last = now;
  };

  // The control plane: stopped (watches closed, workers ended), its informers' caches kept for the steps below.
  const factory = running.informers as unknown as { informers: Map<string, InformerInternals> } | undefined;
  await running.stopControlPlane((part) => step(`${part}: stopped, its own state (its handlers removed, its queues, caches and wasm memory)`));
  await Bun.sleep(500);
  await step("control plane's rest: informers' watch streams, the loopback client and socket, the event recorder");
  const informers = [...(factory?.informers ?? new Map<string, InformerInternals>())].map(([key, informer]) => ({ name: key.split("|").slice(0, 2).filter(Boolean).join("/"), informer }));
  // Indexes first (each named as its controller named it), then the caches' object maps.
  for (const { name, informer } of informers) {
    for (const index of [...informer.cache.indices.keys()]) {
      const n = clearIndex(informer.cache, index);
      if (n > 0) await step(`informer ${name}: index "${index}"`, n);
    }
  }
  for (const { name, informer } of informers) {
    const n = clearObjects(informer.cache);
    if (n > 0) await step(`informer ${name}: cache (its map; objects shared with the store stay)`, n);
  }
  // Stopping removed the controllers' and the scheduler's handlers; any left would hold their state.
  for (const { informer } of informers) informer.handlers.clear();
  await step("handlers left on the informers (none expected)");
  informers.length = 0;
  factory?.informers.clear();
  await step("the informers themselves");

  const store = running.store as unknown as StoreInternals;
  if (store.hub && store.live) {
    const [events, ringBytes] = clearRing(store);
    await step(`store: watch ring (${(ringBytes / 2 ** 20).toFixed(1)} MB of JSON text) and the texts its objects kept`, events);
    await step("store: part-sharing table (slots; the parts stay while objects hold them)", clearParts(store));
    await step("store: expiring keys' write times (Events' TTL)", clearClock(store.leases));
    await step("store: tombstones", clearMap(store.tombstones));
    store.live.order.clear();
    store.live.recent = [];
    await step("store: sorted key arrays (for lists)");
    for (const resource of ["/core/pods/", "/core/nodes/", "/coordination.k8s.io/leases/"]) {
      const n = strip(store, resource, "managedFields");
      if (n) await step(`store: ${resource}: their metadata.managedFields`, n);
    }
    for (const resource of ["/core/pods/", "/core/nodes/"]) {
      const n = strip(store, resource, "status");
      if (n) await step(`store: ${resource}: their status`, n);
    }
    for (const resource of ["/coordination.k8s.io/leases/", "/core/events/", "/core/nodes/", "/core/pods/"]) {
      const n = dropResource(store, resource);
      if (n) await step(`store: current ${resource}: entries and the rest of their objects`, n);
    }
    let rest = 0;
    for (const resource of [...store.live.resources.keys()]) rest += dropResource(store, resource);
    await step("store: every other resource's current objects", rest);
  }
  return { before, rows, rest: last };
}
