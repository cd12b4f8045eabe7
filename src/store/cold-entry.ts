// Entries of cold resources (StoreOptions.coldResources): the store keeps a key and its
// revisions in memory, and the object stays on disk, read from the log when it is asked for.
import type { KubeObject } from "../apis/meta.ts";
import { parseStored } from "./json.ts";
import type { SqliteLog } from "./sqlite-log.ts";
import type { Entry } from "./types.ts";

/**
 * The entry of a key of a cold resource: its object is read from the log on each use (kept
 * only while someone still holds it), so the store's own memory holds just the key.
 */
export class ColdEntry implements Entry {
  private last: WeakRef<KubeObject> | undefined;

  constructor(
    public key: string,
    readonly revision: number,
    readonly createRevision: number,
    private readonly log: SqliteLog,
  ) {}

  get object(): KubeObject {
    const held = this.last?.deref();
    if (held) return held;
    this.last = undefined;
    const text = this.log.valueAt(this.revision);
    // Compaction keeps every key's latest row, so a live key's row is always there.
    if (text === undefined) throw new Error(`revision ${this.revision} of ${this.key} is missing from the log`);
    const object = parseStored(text);
    this.last = new WeakRef(object);
    return object;
  }

  /** The object while it is still held from a write or read; no read of the log for it. */
  held(object: KubeObject): this {
    this.last = new WeakRef(object);
    return this;
  }

  /**
   * The write's event has left the watch ring: the WeakRef goes (a cell of its own for each of
   * 50,000 Events, long after its object died); a later read reads the log, as once the object
   * has died.
   */
  release(): void {
    this.last = undefined;
  }
}
