// Memory layout of the routing table, shared by the TypeScript side (src/proxy/wasm-route-table.ts),
// which lays out and owns the memory, and the WebAssembly side (wasm/assembly/route-table.ts),
// which reads it and maintains the affinity entries. All offsets are in bytes.
//
// Each service has a record; the record points at its endpoint slots and its affinity table.
// Endpoints keep their slot while they stay in the service, so an affinity entry names its
// endpoint as (slot, generation): a slot's generation is bumped whenever its endpoint is removed.

/** Service record: 48 bytes, 16-byte aligned so the f64 field is aligned. */
export const SERVICE_BYTES = 48;
/** u32: address of the endpoint slots. */
export const S_SLOTS = 0;
/** i32: number of slots (live or free). */
export const S_SLOT_COUNT = 4;
/** i32: round-robin cursor, the slot the next search starts from. */
export const S_CURSOR = 8;
/** i32: number of live slots. */
export const S_LIVE = 12;
/** i32: 1 when sessionAffinity is ClientIP. */
export const S_AFFINITY = 16;
/** u32: address of the affinity table (0 when not allocated yet). */
export const S_AFF_TABLE = 20;
/** i32: affinity table capacity in entries, a power of two (0 when not allocated). */
export const S_AFF_CAPACITY = 24;
/** i32: used affinity entries, stale ones included until the next rehash. */
export const S_AFF_USED = 28;
/** f64: affinity timeout of inactivity in milliseconds. */
export const S_TIMEOUT_MS = 32;

/** Endpoint slot: 16 bytes. */
export const SLOT_BYTES = 16;
/** u32: IPv4 address, host order (a.b.c.d = a<<24 | b<<16 | c<<8 | d). */
export const E_IP = 0;
/** i32: port. */
export const E_PORT = 4;
/** u32: generation, bumped when the slot's endpoint is removed. */
export const E_GEN = 8;
/** i32: 1 while the slot holds an endpoint. */
export const E_LIVE = 12;

/** Affinity entry: 24 bytes (open addressing, linear probing on the client IP). */
export const AFF_BYTES = 24;
/** u32: client IPv4 address. */
export const A_CLIENT = 0;
/** i32: pinned endpoint slot, -1 for an empty entry. */
export const A_SLOT = 4;
/** u32: generation of the slot when pinned. */
export const A_GEN = 8;
/** f64: when the entry expires (last pick + timeout), milliseconds; fixed at each pick. */
export const A_EXPIRES = 16;

/** pick() results besides a slot index. */
export const PICK_NONE = -1;
/** The affinity table has no room for another client: grow it and call again. */
export const PICK_NEED_ROOM = -2;
