// Structural sharing of stored objects' parts (hash-consing). Pods of one workload are alike
// in most of their JSON: containers, tolerations, volumes, managedFields' field sets, labels.
// Stored objects are never mutated, so an equal part of a newly stored object can be the very
// object an earlier one already holds; at 50,000 pods that is most of their parsed size.
//
// A table of recently seen parts, keyed by a structural hash, finds the earlier copy. Parts are
// shared bottom-up, so two equal parts have identical children and equality is one shallow
// comparison. The table is bounded, oldest entries leave first: a part that is not found is
// merely kept unshared (a popular part that left is back with the next object that has it).

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
      return hashString(String(v), 0x27d4eb2f);
    case "boolean":
      return v ? 0x1234567 : 0x7654321;
    default:
      return 0x55555555; // null
  }
}

/** Same keys in the same order with identical values: equal, once the children are shared. */
function shallowEqual(a: Container, b: Container): boolean {
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || a[k] !== (b as Record<string, Json>)[k]) return false;
  }
  return true;
}

export class SubtreeTable {
  private readonly parts = new Map<number, Container>();
  /** Hashes in the order they came in, a ring: eviction without iterating the map. */
  private readonly order: Int32Array;
  private next = 0;

  constructor(private readonly capacity = 16_384) {
    this.order = new Int32Array(capacity);
  }

  /** Parts the table can hand out now. */
  get size(): number {
    return this.parts.size;
  }

  /**
   * Replaces, in place, every part of `root` (a freshly parsed JSON value no one else holds yet)
   * that equals one seen before with that earlier part. `root` itself stays: it is the object
   * being stored.
   */
  share<T>(root: T): T {
    if (typeof root === "object" && root !== null) this.children(root as Container);
    return root;
  }

  /** Shares the children of `c` and returns its hash. */
  private children(c: Container): number {
    if (Array.isArray(c)) {
      let h = ARRAY_SEED;
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        if (typeof v === "object" && v !== null) {
          const [part, vh] = this.part(v as Container);
          c[i] = part;
          h = mix(h, vh);
        } else h = mix(h, hashPrimitive(v));
      }
      return h;
    }
    let h = OBJECT_SEED;
    for (const k in c) {
      h = hashString(k, h);
      const v = c[k];
      if (typeof v === "object" && v !== null) {
        const [part, vh] = this.part(v as Container);
        c[k] = part;
        h = mix(h, vh);
      } else h = mix(h, hashPrimitive(v));
    }
    return h;
  }

  private part(c: Container): [Container, number] {
    const h = this.children(c);
    const seen = this.parts.get(h);
    if (seen !== undefined && seen !== c && shallowEqual(seen, c)) return [seen, h];
    if (seen === undefined) {
      // Full: the oldest insertion leaves (if a newer part took its hash since, that one does).
      if (this.parts.size >= this.capacity) this.parts.delete(this.order[this.next]!);
      this.order[this.next] = h;
      this.next = (this.next + 1) % this.capacity;
    }
    this.parts.set(h, c);
    return [c, h];
  }
}
