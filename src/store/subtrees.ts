// Structural sharing of stored objects' parts (hash-consing). Pods of one workload are alike
// in most of their JSON: containers, tolerations, volumes, managedFields' field sets, labels.
// Stored objects are never mutated, so an equal part of a newly stored object can be the very
// object an earlier one already holds; at 50,000 pods that is most of their parsed size.
//
// A table of recently seen parts, keyed by a structural hash, finds the earlier copy. Parts are
// shared bottom-up, so two equal parts have identical children and equality is one shallow
// comparison. The table is bounded and direct-mapped (a part's hash picks its one slot; a newer
// part landing there replaces it): a part that is not found is merely kept unshared (a popular
// part that left is back with the next object that has it). 32,768 slots share as well as a
// 16,384-entry first-in-first-out table did (bench/subtrees.ts: the same distinct parts).
//
// It runs for every node of every object the store keeps, so it is written for the CPU: no
// allocation per node (a part's hash is returned, the part to hold is left in a field), keys'
// hashes cached (JSON.parse makes keys atoms, cheap to look up), no hash for the root or its
// metadata (never equal to another object's), shallow comparison without Object.keys.

type Json = unknown;
type Container = Record<string, Json> | Json[];

const OBJECT_SEED = 0x811c9dc5;
const ARRAY_SEED = 0x01000193;

/** FNV-1a over the UTF-16 code units, continuing from `h`. */
function hashString(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

const mix = (h: number, v: number) => Math.imul(h ^ v, 0x5bd1e995) ^ (h >>> 15);

function hashPrimitive(v: Json): number {
  switch (typeof v) {
    case "string":
      return hashString(v, 0x9e3779b9);
    case "number":
      // Small integers (most numbers in objects) without making their text.
      return (v | 0) === v ? mix(0x27d4eb2f, v) : hashString(String(v), 0x27d4eb2f);
    case "boolean":
      return v ? 0x1234567 : 0x7654321;
    default:
      return 0x55555555; // null
  }
}

/** Keys of the part being compared, reused: comparing allocates nothing. */
const scratch: string[] = [];

/** Same keys in the same order with identical values: equal, once the children are shared. */
function shallowEqual(a: Container, b: Container): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  let n = 0;
  for (const k in a) scratch[n++] = k;
  let i = 0;
  for (const k in b) {
    if (i >= n || k !== scratch[i++] || a[k] !== (b as Record<string, Json>)[k]) return false;
  }
  return i === n;
}

export class SubtreeTable {
  /** Direct-mapped, a power of two of slots: the slot a hash picks holds the last part with a hash landing there, and that hash. */
  private readonly slots: (Container | undefined)[];
  private readonly hashes: Int32Array;
  private readonly mask: number;
  private filled = 0;
  /** The part the last `intern` call found or kept: its result besides the hash (no tuple per node). */
  private found: Container | undefined = undefined;

  /** `capacity`: slots, rounded up to a power of two. */
  constructor(capacity = 32_768) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.mask = n - 1;
    this.slots = new Array(n).fill(undefined);
    this.hashes = new Int32Array(n);
  }

  /**
   * Hashes of keys seen: keys repeat in every object (JSON.parse makes them atoms, whose lookup
   * in a Map is cheap), hashing their characters each time is not. Bounded: cleared when full.
   */
  private readonly keys = new Map<string, number>();

  private keyHash(k: string): number {
    let h = this.keys.get(k);
    if (h === undefined) {
      if (this.keys.size >= 4096) this.keys.clear();
      h = hashString(k, 0x3c6ef372);
      this.keys.set(k, h);
    }
    return h;
  }

  /** Parts the table can hand out now. */
  get size(): number {
    return this.filled;
  }

  /**
   * Replaces, in place, every part of `root` (a freshly parsed JSON value no one else holds yet)
   * that equals one seen before with that earlier part. `root` itself stays: it is the object
   * being stored. Neither the root nor its `metadata` (name, uid, resourceVersion: never equal
   * to another object's) is looked up, so neither is hashed; their parts are.
   */
  share<T>(root: T, prev?: unknown): T {
    if (typeof root !== "object" || root === null) return root;
    const c = root as Container;
    if (Array.isArray(c)) {
      this.walk(c);
      return root;
    }
    // Values adopted from the revision this one replaces (adoptUnchanged) are that revision's,
    // shared already: neither walked again nor written to.
    const p = isPlainObject(prev) ? (prev as Record<string, Json>) : undefined;
    for (const k in c) {
      const v = c[k];
      if (typeof v !== "object" || v === null || (p !== undefined && v === p[k])) continue;
      if (k === "metadata" && !Array.isArray(v)) this.walk(v as Container, p !== undefined && isPlainObject(p[k]) ? (p[k] as Record<string, Json>) : undefined);
      else {
        this.intern(v as Container);
        c[k] = this.found;
      }
    }
    this.found = undefined;
    return root;
  }

  /** Shares the parts of `c` without hashing `c` itself (but those that are `prev`'s, adopted). */
  private walk(c: Container, prev?: Record<string, Json>): void {
    if (Array.isArray(c)) {
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        if (typeof v === "object" && v !== null) {
          this.intern(v as Container);
          c[i] = this.found;
        }
      }
      return;
    }
    for (const k in c) {
      const v = c[k];
      if (typeof v === "object" && v !== null && (prev === undefined || v !== prev[k])) {
        this.intern(v as Container);
        c[k] = this.found;
      }
    }
  }

  /**
   * Shares the parts of `c`, then `c` itself: returns its hash and leaves in `found` the part to
   * hold in its place (an earlier equal one, or `c`).
   */
  private intern(c: Container): number {
    let h: number;
    if (Array.isArray(c)) {
      h = ARRAY_SEED;
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        if (typeof v === "object" && v !== null) {
          h = mix(h, this.intern(v as Container));
          c[i] = this.found;
        } else h = mix(h, hashPrimitive(v));
      }
    } else {
      h = OBJECT_SEED;
      for (const k in c) {
        h = mix(h, this.keyHash(k));
        const v = c[k];
        if (typeof v === "object" && v !== null) {
          h = mix(h, this.intern(v as Container));
          c[k] = this.found;
        } else h = mix(h, hashPrimitive(v));
      }
    }
    h |= 0; // as the Int32Array holds it (a seed alone is above 2^31)
    const i = (h ^ (h >>> 17)) & this.mask;
    const seen = this.slots[i];
    if (seen !== undefined && this.hashes[i] === h && seen !== c && shallowEqual(seen, c)) {
      this.found = seen;
      return h;
    }
    if (seen === undefined) this.filled++;
    this.slots[i] = c;
    this.hashes[i] = h;
    this.found = c;
    return h;
  }
}

/**
 * Makes `next` (a new revision of the object `prev` is the current revision of, just parsed,
 * held by no one else yet; SubtreeTable.share(next, prev) comes after) hold prev's own values
 * wherever they are equal at the top two levels: the root's fields (a status write's spec, a binding's
 * managedFields) and metadata's (name, uid, creationTimestamp, labels, managedFields ...).
 * JSON.parse made new copies of them; prev's are kept instead, so the copies die at once, young,
 * and what dies when prev is replaced is only what the write changed. Without this, every
 * replaced revision left its whole unique part (strings included) in the old generation, where
 * only a full collection frees it: much of what the heap grows by between full collections
 * while pods are bound and their status written. Only `next`'s own root and metadata are
 * written to; prev's parts are never touched.
 */
export function adoptUnchanged<T>(next: T, prev: unknown): T {
  if (!isPlainObject(next) || !isPlainObject(prev)) return next;
  const n = next as Record<string, Json>;
  const p = prev as Record<string, Json>;
  for (const k in n) {
    if (!Object.hasOwn(p, k)) continue;
    const nv = n[k];
    const pv = p[k];
    if (nv === pv) {
      if (typeof nv === "string") n[k] = pv; // equal text, prev's string
      continue;
    }
    if (typeof nv !== "object" || nv === null || typeof pv !== "object" || pv === null) continue;
    if (k === "metadata" && isPlainObject(nv) && isPlainObject(pv)) adoptFields(nv as Record<string, Json>, pv as Record<string, Json>);
    else if (sameJson(nv, pv)) n[k] = pv;
  }
  return next;
}

/** One level: `n`'s fields equal to `p`'s become p's (n is the new revision's own metadata). */
function adoptFields(n: Record<string, Json>, p: Record<string, Json>): void {
  for (const k in n) {
    const nv = n[k];
    if (!Object.hasOwn(p, k)) continue;
    const pv = p[k];
    if (nv === pv) {
      if (typeof nv === "string") n[k] = pv;
    } else if (typeof nv === "object" && nv !== null && typeof pv === "object" && pv !== null && sameJson(nv, pv)) n[k] = pv;
  }
}

const isPlainObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Whether two JSON values would be written as the same text: equal, with their objects' keys in
 * the same order (Bun.deepEquals ignores the order, which the stored text and managedFields keep).
 * Walks without allocating. Also the API's test of which parts of a private copy are still as
 * stored (src/api/json-copy.ts).
 */
export function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // The keys first (in `scratch`, which the values' comparison below may then reuse).
  let n = 0;
  for (const k in a) scratch[n++] = k;
  let i = 0;
  for (const k in b) if (i >= n || k !== scratch[i++]) return false;
  if (i !== n) return false;
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  for (const k in ao) if (!sameJson(ao[k], bo[k])) return false;
  return true;
}
