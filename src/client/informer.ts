// An informer (client-go's reflector + shared index informer): lists once, then watches from the
// list's resourceVersion, keeping a local cache that event handlers and listers read. A watch
// that ends is resumed from the last revision seen (bookmarks advance it); one that finds its
// revision compacted (410 Expired) lists again and reports the difference as adds, updates and
// deletes, so handlers converge on the server's state; network failures are retried with back-off.
import { isGone, isResourceExpired } from "../apis/errors.ts";
import type { KubeList, KubeObject } from "../apis/meta.ts";
import { ObjectCache, type IndexFunc, type Lister } from "./cache.ts";
import type { LineInterner } from "./ndjson.ts";
import { objectKey } from "./paths.ts";
import type { ListerWatcher, ObjectEvent } from "./types.ts";

/** Handlers only compute a key and enqueue it: they run inline, between cache updates. */
export interface EventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** Receives the object's last known state. */
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  indexers?: Record<string, IndexFunc<T>>;
  /** How long the server keeps each watch open; default 5–10 minutes, spread like client-go's. */
  watchTimeoutSeconds?: number;
  /** Retry delays after failed lists and watches, doubling from initialMs up to maxMs. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Where failures are reported before being retried (default: console.warn). */
  onError?: (err: unknown) => void;
  /**
   * An identical object (same kind, key and resourceVersion) this process already holds, which
   * the cache keeps instead of the one just decoded; undefined when there is none. In `kubun
   * server` the API server's own immutable copy: the informer still lists and watches through
   * the API and sees exactly what it sent, without a second copy of every object in memory.
   */
  intern?: (obj: KubeObject) => KubeObject | undefined;
  /**
   * The same for a watch event before it is parsed: the event of an object this process holds,
   * from its line (ndjson.ts's LineInterner); the line is parsed when it answers undefined.
   * `kubun server`'s informers skip decoding each event of an object they would then swap for
   * the store's copy anyway (the decoding was most of their garbage).
   */
  internLine?: LineInterner;
}

// client-go's reflector relists on either: the revision was compacted, or the server says gone.
const isExpired = (err: unknown) => isResourceExpired(err) || isGone(err);

export class Informer<T extends KubeObject = KubeObject> {
  readonly cache = new ObjectCache<T>();
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly abort = new AbortController();
  private readonly syncWaiters = new Set<(synced: boolean) => void>();
  private readonly initialDelay: number;
  private readonly maxDelay: number;
  private lastRV = "";
  private synced = false;
  private running?: Promise<void>;

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    for (const [name, fn] of Object.entries(opts.indexers ?? {})) this.cache.addIndexer(name, fn);
    this.initialDelay = opts.backoff?.initialMs ?? 800;
    this.maxDelay = opts.backoff?.maxMs ?? 30_000;
  }

  get lister(): Lister<T> {
    return this.cache;
  }

  /** The revision the cache reflects: the next watch resumes after it. */
  get resourceVersion(): string {
    return this.lastRV;
  }

  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.cache.addIndexer(name, fn);
  }

  /** Registers handlers; ones added after the first list hear an add for every cached object. Returns a remover. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const key of this.cache.keys()) this.call(() => handler.onAdd?.(this.cache.getByKey(key)!));
    return () => this.handlers.delete(handler);
  }

  /** Starts listing and watching in the background; calling it again does nothing. */
  start(): void {
    if (this.abort.signal.aborted) throw new Error("a stopped informer cannot be restarted");
    this.running ??= this.run();
  }

  /** Ends the watch and the retry loop; resolves once they have stopped. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const waiter of this.syncWaiters) waiter(false);
    this.syncWaiters.clear();
    await this.running;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first list is in the cache; false if the informer (or `signal`) stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.abort.signal.aborted || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (synced: boolean) => {
        this.syncWaiters.delete(done);
        signal?.removeEventListener("abort", onAbort);
        resolve(synced);
      };
      const onAbort = () => done(false);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.add(done);
    });
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let needList = true;
    let delay = this.initialDelay;
    let expiredBefore = false;
    while (!signal.aborted) {
      let progressed = false;
      try {
        if (needList) {
          this.replace(await this.lw.list({}));
          needList = false;
        }
        const began = Date.now();
        let events = 0;
        await this.lw.watch(
          { resourceVersion: this.lastRV, allowWatchBookmarks: true, timeoutSeconds: this.watchTimeout(), internLine: this.opts.internLine },
          (event) => {
            events++;
            this.apply(event);
          },
          signal,
        );
        // A watch that ends at once without news would otherwise spin against a sick server.
        progressed = events > 0 || Date.now() - began >= 1000;
        expiredBefore = false;
      } catch (err) {
        if (signal.aborted) break;
        if (isExpired(err)) {
          needList = true;
          // Relist at once the first time; a server that keeps expiring us gets back-off.
          progressed = !expiredBefore;
          expiredBefore = true;
        } else this.report(err);
      }
      if (progressed) {
        delay = this.initialDelay;
        continue;
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.maxDelay);
    }
  }

  /** Makes the cache equal the listed objects, telling handlers what changed. */
  private replace(list: KubeList<T>): void {
    const kind = list.kind?.replace(/List$/, "");
    const listed = new Set<string>();
    for (const item of list.items) {
      // Items of a list carry no apiVersion/kind; watch events' objects do. Make them alike.
      const obj = this.interned(item.kind ? item : ({ apiVersion: list.apiVersion, kind, ...item } as T));
      const key = objectKey(obj.metadata);
      listed.add(key);
      const old = this.cache.set(obj);
      if (!old) this.emit((h) => h.onAdd?.(obj));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit((h) => h.onUpdate?.(old, obj));
    }
    for (const key of this.cache.keys()) {
      if (listed.has(key)) continue;
      const old = this.cache.delete(key)!;
      this.emit((h) => h.onDelete?.(old));
    }
    this.lastRV = list.metadata.resourceVersion ?? "0";
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters) waiter(true);
      this.syncWaiters.clear();
    }
  }

  private apply(event: ObjectEvent<T>): void {
    const obj = event.type === "ADDED" || event.type === "MODIFIED" ? this.interned(event.object) : event.object;
    const rv = obj.metadata?.resourceVersion;
    switch (event.type) {
      case "ADDED":
      case "MODIFIED": {
        const old = this.cache.set(obj);
        if (old) this.emit((h) => h.onUpdate?.(old, obj));
        else this.emit((h) => h.onAdd?.(obj));
        break;
      }
      case "DELETED":
        this.cache.delete(objectKey(obj.metadata));
        this.emit((h) => h.onDelete?.(obj));
        break;
      case "BOOKMARK":
        break;
    }
    if (rv) this.lastRV = rv;
  }

  private interned(obj: T): T {
    return (this.opts.intern?.(obj) as T | undefined) ?? obj;
  }

  private emit(fn: (h: EventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  /** A failing handler must not stop the cache from following the server. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    (this.opts.onError ?? ((e: unknown) => console.warn("informer:", e)))(err);
  }

  private watchTimeout(): number {
    return this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
