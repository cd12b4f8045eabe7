// Service proxy routing table (AssemblyScript). The TypeScript side (src/proxy/wasm-route-table.ts)
// lays out the memory (src/proxy/route-layout.ts) and writes the endpoint slots on every update;
// this module makes the per-connection decision in ONE call to pick(): round robin over the live
// slots, or the endpoint pinned to the client by sessionAffinity ClientIP while the pin is fresh.
// src/proxy/ts-route-table.ts is the reference: both must pick the same endpoints (property test).
import {
  S_SLOTS, S_SLOT_COUNT, S_CURSOR, S_LIVE, S_AFFINITY, S_AFF_TABLE, S_AFF_CAPACITY, S_AFF_USED,
  S_TIMEOUT_MS, SLOT_BYTES, E_GEN, E_LIVE, AFF_BYTES, A_CLIENT, A_SLOT, A_GEN, A_EXPIRES,
  PICK_NONE, PICK_NEED_ROOM,
} from "../../src/proxy/route-layout";

/** Where the TypeScript side may start allocating. */
export function heapBase(): usize {
  return __heap_base;
}

@inline function slotAt(rec: usize, slot: i32): usize {
  return <usize>load<u32>(rec + S_SLOTS) + <usize>slot * SLOT_BYTES;
}

@inline function entryAt(table: usize, i: u32): usize {
  return table + <usize>i * AFF_BYTES;
}

/** Spreads consecutive addresses (clients of one subnet) over the table. */
@inline function hash(client: u32): u32 {
  let h = client * 0x9e3779b1;
  return h ^ (h >>> 16);
}

/** A pin holds while it has not expired and its slot still holds the endpoint it pinned. */
@inline function pinHolds(rec: usize, entry: usize, now: f64): bool {
  const slot = load<i32>(entry + A_SLOT);
  if (slot < 0 || now >= load<f64>(entry + A_EXPIRES)) return false;
  const s = slotAt(rec, slot);
  return load<i32>(s + E_LIVE) != 0 && load<u32>(s + E_GEN) == load<u32>(entry + A_GEN);
}

/** The next live slot from the cursor on; the caller made sure one exists. */
function roundRobin(rec: usize): i32 {
  const count = load<i32>(rec + S_SLOT_COUNT);
  let i = load<i32>(rec + S_CURSOR);
  for (let n = 0; n < count; n++, i++) {
    if (i >= count) i = 0;
    if (load<i32>(slotAt(rec, i) + E_LIVE) != 0) {
      store<i32>(rec + S_CURSOR, i + 1);
      return i;
    }
  }
  return PICK_NONE;
}

function pin(rec: usize, entry: usize, client: u32, slot: i32, now: f64): void {
  store<u32>(entry + A_CLIENT, client);
  store<i32>(entry + A_SLOT, slot);
  store<u32>(entry + A_GEN, load<u32>(slotAt(rec, slot) + E_GEN));
  store<f64>(entry + A_EXPIRES, now + load<f64>(rec + S_TIMEOUT_MS));
}

/**
 * The endpoint slot for a new connection of `client` to the service at `rec`: PICK_NONE when
 * the service has no endpoints, PICK_NEED_ROOM (before any change) when a new affinity entry does
 * not fit; the caller then grows the table with rehash() and calls again.
 */
export function pick(rec: usize, client: u32, now: f64): i32 {
  if (load<i32>(rec + S_LIVE) == 0) return PICK_NONE;
  if (load<i32>(rec + S_AFFINITY) == 0) return roundRobin(rec);

  const capacity = load<i32>(rec + S_AFF_CAPACITY);
  if (capacity == 0) return PICK_NEED_ROOM;
  const table = <usize>load<u32>(rec + S_AFF_TABLE);
  const mask = <u32>capacity - 1;
  let i = hash(client) & mask;
  while (true) {
    const entry = entryAt(table, i);
    if (load<i32>(entry + A_SLOT) < 0) break;
    if (load<u32>(entry + A_CLIENT) == client) {
      if (pinHolds(rec, entry, now)) {
        store<f64>(entry + A_EXPIRES, now + load<f64>(rec + S_TIMEOUT_MS));
        return load<i32>(entry + A_SLOT);
      }
      const slot = roundRobin(rec);
      pin(rec, entry, client, slot, now);
      return slot;
    }
    i = (i + 1) & mask;
  }
  // Load factor stays at most 3/4 so probe sequences stay short.
  const used = load<i32>(rec + S_AFF_USED);
  if ((used + 1) * 4 > capacity * 3) return PICK_NEED_ROOM;
  const slot = roundRobin(rec);
  pin(rec, entryAt(table, i), client, slot, now);
  store<i32>(rec + S_AFF_USED, used + 1);
  return slot;
}

/** Number of affinity entries that still hold at `now` (sizes the next table). */
export function liveAffinity(rec: usize, now: f64): i32 {
  const table = <usize>load<u32>(rec + S_AFF_TABLE);
  const capacity = <u32>load<i32>(rec + S_AFF_CAPACITY);
  let live = 0;
  for (let i: u32 = 0; i < capacity; i++) if (pinHolds(rec, entryAt(table, i), now)) live++;
  return live;
}

/**
 * Moves the entries that still hold into the empty table at `to` (capacity a power of two) and
 * points the service at it; expired pins and pins of removed endpoints are dropped for good. The
 * caller frees the old table.
 */
export function rehash(rec: usize, to: usize, capacity: i32, now: f64): void {
  memory.fill(to, 0xff, <usize>capacity * AFF_BYTES);
  const from = <usize>load<u32>(rec + S_AFF_TABLE);
  const old = <u32>load<i32>(rec + S_AFF_CAPACITY);
  const mask = <u32>capacity - 1;
  let used = 0;
  for (let k: u32 = 0; k < old; k++) {
    const entry = entryAt(from, k);
    if (!pinHolds(rec, entry, now)) continue;
    let i = hash(load<u32>(entry + A_CLIENT)) & mask;
    while (load<i32>(entryAt(to, i) + A_SLOT) >= 0) i = (i + 1) & mask;
    memory.copy(entryAt(to, i), entry, AFF_BYTES);
    used++;
  }
  store<u32>(rec + S_AFF_TABLE, <u32>to);
  store<i32>(rec + S_AFF_CAPACITY, capacity);
  store<i32>(rec + S_AFF_USED, used);
}
