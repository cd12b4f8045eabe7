// String -> small integer ids, so the wasm side compares integers, never strings. Ids are never
// freed: the tables hold label keys/values, taints and host IPs seen on nodes, which stay few.

/** Entries of get()'s memo (a power of two). */
const MEMO = 32;

export class Interner {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];
  /** get()'s memo, direct-mapped by length and last character: found strings and their ids. */
  private readonly memoKeys: (string | undefined)[] = new Array<string | undefined>(MEMO).fill(undefined);
  private readonly memoIds = new Int32Array(MEMO);

  /** @param first the first id handed out (1 when 0 must mean "absent"). */
  constructor(private readonly first = 0) {}

  get size(): number {
    return this.strings.length;
  }

  /** One past the highest id handed out. */
  get end(): number {
    return this.first + this.strings.length;
  }

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.first + this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** The id if interned; lookups from pod queries never grow the table. */
  get(s: string): number | undefined {
    const slot = (s.length * 7 + s.charCodeAt(s.length - 1)) & (MEMO - 1);
    if (this.memoKeys[slot] === s) return this.memoIds[slot];
    const id = this.ids.get(s);
    if (id !== undefined) {
      this.memoKeys[slot] = s;
      this.memoIds[slot] = id;
    }
    return id;
  }

  string(id: number): string {
    return this.strings[id - this.first]!;
  }
}
