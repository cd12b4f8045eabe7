// The routing table the proxy runs: service records, endpoint slots and affinity tables live in
// the WebAssembly module's memory (layout in route-layout.ts). Updates from the watch are written
// here in place, slot by slot; each pick is one call into wasm. Semantics are ts-route-table.ts's.
import { EndpointSlots } from "./endpoint-slots.ts";
import { clientKey, parseIPv4 } from "./ipv4.ts";
import * as L from "./route-layout.ts";
import { type Endpoint, type RouteTable, type SessionAffinity, affinityTimeoutMs } from "./route-table.ts";
import { WasmArena } from "./wasm-arena.ts";
import { instantiateRouteTable } from "./wasm-route-loader.ts";

export interface WasmRouteTableOptions {
  /** Another build of the module (tests); defaults to build/wasm/route-table.wasm. */
  wasmPath?: string;
}

interface Service {
  readonly id: number;
  readonly endpoints: EndpointSlots;
  /** Slots allocated at the record's S_SLOTS (a power of two, 0 before the first endpoint). */
  slotCapacity: number;
}

/** Memory views, rebuilt when growing the memory detaches the old buffer. */
class Views {
  i32!: Int32Array;
  u32!: Uint32Array;
  f64!: Float64Array;
  u8!: Uint8Array;
  constructor(private readonly memory: WebAssembly.Memory) {
    this.refresh();
  }
  get(): this {
    if (this.u8.buffer !== this.memory.buffer) this.refresh();
    return this;
  }
  private refresh(): void {
    const b = this.memory.buffer;
    this.i32 = new Int32Array(b);
    this.u32 = new Uint32Array(b);
    this.f64 = new Float64Array(b);
    this.u8 = new Uint8Array(b);
  }
}

export function createWasmRouteTable(options: WasmRouteTableOptions = {}): RouteTable {
  const wasm = instantiateRouteTable(options.wasmPath);
  const arena = new WasmArena(wasm.memory, wasm.heapBase());
  const views = new Views(wasm.memory);

  const services = new Map<string, Service>();
  const freeIds: number[] = [];
  let nextId = 0;
  let directory = 0;
  let directoryCapacity = 0;

  const record = (id: number) => directory + id * L.SERVICE_BYTES;

  function ensureDirectory(ids: number): void {
    if (ids <= directoryCapacity) return;
    const capacity = Math.max(16, directoryCapacity * 2);
    const ptr = arena.alloc(capacity * L.SERVICE_BYTES);
    const v = views.get();
    v.u8.fill(0, ptr, ptr + capacity * L.SERVICE_BYTES);
    v.u8.copyWithin(ptr, directory, directory + directoryCapacity * L.SERVICE_BYTES);
    arena.release(directory, directoryCapacity * L.SERVICE_BYTES);
    directory = ptr;
    directoryCapacity = capacity;
  }

  function service(key: string): Service {
    let s = services.get(key);
    if (s) return s;
    const id = freeIds.pop() ?? nextId++;
    ensureDirectory(id + 1);
    views.get().u8.fill(0, record(id), record(id) + L.SERVICE_BYTES);
    s = { id, endpoints: new EndpointSlots(), slotCapacity: 0 };
    services.set(key, s);
    return s;
  }

  /** Grows the slot array, keeping every slot's generation so old pins keep failing. */
  function ensureSlots(s: Service, slots: number): void {
    if (slots <= s.slotCapacity) return;
    const capacity = WasmArena.blockSize(slots * L.SLOT_BYTES) / L.SLOT_BYTES;
    const ptr = arena.alloc(capacity * L.SLOT_BYTES);
    const rec = record(s.id);
    const v = views.get();
    const old = v.u32[(rec + L.S_SLOTS) >> 2]!;
    v.u8.fill(0, ptr, ptr + capacity * L.SLOT_BYTES);
    v.u8.copyWithin(ptr, old, old + s.slotCapacity * L.SLOT_BYTES);
    arena.release(old, s.slotCapacity * L.SLOT_BYTES);
    v.u32[(rec + L.S_SLOTS) >> 2] = ptr;
    s.slotCapacity = capacity;
  }

  function releaseAffinity(rec: number): void {
    const v = views.get();
    arena.release(v.u32[(rec + L.S_AFF_TABLE) >> 2]!, v.i32[(rec + L.S_AFF_CAPACITY) >> 2]! * L.AFF_BYTES);
    v.u32[(rec + L.S_AFF_TABLE) >> 2] = 0;
    v.i32[(rec + L.S_AFF_CAPACITY) >> 2] = 0;
    v.i32[(rec + L.S_AFF_USED) >> 2] = 0;
  }

  /** Room for one more pin: a table twice the pins that still hold (expired ones are dropped). */
  function growAffinity(rec: number, now: number): void {
    const v = views.get();
    const oldTable = v.u32[(rec + L.S_AFF_TABLE) >> 2]!;
    const oldCapacity = v.i32[(rec + L.S_AFF_CAPACITY) >> 2]!;
    const live = oldCapacity === 0 ? 0 : wasm.liveAffinity(rec, now);
    let capacity = 16;
    while (capacity < (live + 1) * 2) capacity *= 2;
    const ptr = arena.alloc(capacity * L.AFF_BYTES);
    wasm.rehash(rec, ptr, capacity, now);
    arena.release(oldTable, oldCapacity * L.AFF_BYTES);
  }

  return {
    setEndpoints(key, endpoints) {
      const s = service(key);
      const changes = s.endpoints.update(endpoints);
      ensureSlots(s, s.endpoints.slots.length);
      const rec = record(s.id);
      const v = views.get();
      const base = v.u32[(rec + L.S_SLOTS) >> 2]!;
      for (const c of changes) {
        const at = (base + c.slot * L.SLOT_BYTES) >> 2;
        if (c.endpoint) {
          v.u32[at + (L.E_IP >> 2)] = parseIPv4(c.endpoint.ip)!;
          v.i32[at + (L.E_PORT >> 2)] = c.endpoint.port;
          v.i32[at + (L.E_LIVE >> 2)] = 1;
        } else {
          v.i32[at + (L.E_LIVE >> 2)] = 0;
          v.u32[at + (L.E_GEN >> 2)]!++;
        }
      }
      v.i32[(rec + L.S_SLOT_COUNT) >> 2] = s.endpoints.slots.length;
      v.i32[(rec + L.S_LIVE) >> 2] = s.endpoints.live;
    },

    removeService(key) {
      const s = services.get(key);
      if (!s) return;
      const rec = record(s.id);
      releaseAffinity(rec);
      const v = views.get();
      arena.release(v.u32[(rec + L.S_SLOTS) >> 2]!, s.slotCapacity * L.SLOT_BYTES);
      v.u8.fill(0, rec, rec + L.SERVICE_BYTES);
      services.delete(key);
      freeIds.push(s.id);
    },

    setAffinity(key, affinity: SessionAffinity) {
      const timeout = affinity.clientIP ? affinityTimeoutMs(affinity) : 0;
      const rec = record(service(key).id);
      const v = views.get();
      if (!affinity.clientIP) {
        releaseAffinity(rec);
        v.i32[(rec + L.S_AFFINITY) >> 2] = 0;
        return;
      }
      v.i32[(rec + L.S_AFFINITY) >> 2] = 1;
      v.f64[(rec + L.S_TIMEOUT_MS) >> 3] = timeout;
    },

    pick(key, clientIP, now): Endpoint | undefined {
      const s = services.get(key);
      if (!s) return undefined;
      const rec = record(s.id);
      const client = clientKey(clientIP);
      let slot = wasm.pick(rec, client, now);
      if (slot === L.PICK_NEED_ROOM) {
        growAffinity(rec, now);
        slot = wasm.pick(rec, client, now);
      }
      return slot < 0 ? undefined : s.endpoints.slots[slot];
    },
  };
}
