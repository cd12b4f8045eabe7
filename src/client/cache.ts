// An informer's local copy of the objects it watches (client-go's thread-safe store + indexer):
// objects by "ns/name" key, a namespace index, and named indexes callers add, such as pods by
// spec.nodeName. Objects are shared with every reader: treat them as read-only. Inside, one
// namespace's objects are keyed by their name string, and that namespace needs no index bucket
// while it holds every object (ObjectCache's fields say why); callers see "ns/name" keys only.
import type { KubeObject } from "../apis/meta.ts";
import { selectorMatches, type LabelSelector } from "../apis/selector.ts";
import { objectKey } from "./paths.ts";

/** The values an object is filed under in one index (none: not in that index). */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];

/** A metav1.LabelSelector (empty selects everything) or any predicate. */
export type ObjectSelector<T extends KubeObject = KubeObject> = LabelSelector | ((obj: T) => boolean);

/** Read access to a cache, what controllers' sync functions get. */
export interface Lister<T extends KubeObject = KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  getByKey(key: string): T | undefined;
  /** Objects in `namespace` (every namespace when omitted) that the selector selects. */
  list(namespace?: string, selector?: ObjectSelector<T>): T[];
  /** Objects filed under `value` in the index named `index`. */
  byIndex(index: string, value: string): T[];
}

/** Files pods under the node they are bound to. */
export const podsByNodeName: IndexFunc = (pod) => {
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  return node ? [node] : [];
};

const NAMESPACE_INDEX = "namespace";
/**
 * Namespaced objects only: a cluster-scoped informer's objects would all be filed under "", one
 * bucket as big as the cache (0.5 MB of Set at 5,000 nodes); list("") looks at the objects instead.
 */
const byNamespace: IndexFunc = (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []);

export class ObjectCache<T extends KubeObject = KubeObject> implements Lister<T> {
  /**
   * Objects by their key in the cache: `namespace/name` (client-go's key; `name` for
   * cluster-scoped objects), except that the objects of one namespace, `primary`, are keyed by
   * their name alone — the object's own `metadata.name` string, which the API server's stored
   * object shares with every revision of it (subtrees.ts's adoptUnchanged), so the key and every
   * index filing of it cost no string of their own (a `namespace/name` string was ~50 B a pod
   * here, and again in the pods-by-node index, where a binding refiled a new one). Lookups by
   * `namespace/name` are translated (`internal`), and keys() answers `namespace/name` as before.
   */
  private readonly objects = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>([[NAMESPACE_INDEX, byNamespace as IndexFunc<T>]]);
  private readonly indices = new Map<string, Index>([[NAMESPACE_INDEX, new Map()]]);
  /**
   * The namespace whose objects are keyed by name: the first cached object's, while the cache
   * holds no cluster-scoped object (whose key is its name too; one coming makes every key
   * `namespace/name` again, `expand`, until the cache is empty).
   */
  private primary: string | undefined = undefined;
  /**
   * Whether every cached object is in `primary` (and there is one at least): the namespace index
   * then holds no bucket for it, since the bucket would be every key of `objects` in `objects`'
   * order (a namespace's keys are filed when first cached and unfiled when deleted, as `objects`
   * adds and removes them). A server's pods are often all in one namespace: that bucket was a Set
   * of 50,000 keys (2.5 MB). The bucket is made, in that order, when an object of another
   * namespace comes; and dropped again when a delete leaves `primary` holding every object.
   */
  private whole = false;

  /** Adds a named index; objects already cached are filed at once. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`index ${name} already exists`);
    this.indexers.set(name, fn);
    const index: Index = new Map();
    this.indices.set(name, index);
    for (const [key, obj] of this.objects) file(index, fn(obj), key);
  }

  get size(): number {
    return this.objects.size;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    if (this.primary !== undefined) {
      if (!namespace) return undefined; // no cluster-scoped object is cached while primary is set
      if (namespace === this.primary && !name.includes("/")) return this.objects.get(name);
    }
    return this.objects.get(objectKey({ namespace, name }));
  }

  getByKey(key: string): T | undefined {
    const internal = this.internal(key);
    return internal === undefined ? undefined : this.objects.get(internal);
  }

  keys(): string[] {
    const primary = this.primary;
    if (primary === undefined) return [...this.objects.keys()];
    const keys: string[] = [];
    for (const key of this.objects.keys()) keys.push(key.includes("/") ? key : `${primary}/${key}`);
    return keys;
  }

  list(namespace?: string, selector?: ObjectSelector<T>): T[] {
    const candidates =
      namespace === undefined
        ? [...this.objects.values()]
        : namespace === ""
          ? [...this.objects.values()].filter((o) => !o.metadata.namespace)
          : this.byIndex(NAMESPACE_INDEX, namespace);
    if (!selector) return candidates;
    const select = typeof selector === "function" ? selector : (o: T) => selectorMatches(selector, o.metadata.labels);
    return candidates.filter(select);
  }

  byIndex(index: string, value: string): T[] {
    const idx = this.indices.get(index);
    if (!idx) throw new Error(`no index named ${index}`);
    if (this.whole && value === this.primary && index === NAMESPACE_INDEX) return [...this.objects.values()];
    const keys = idx.get(value);
    if (keys === undefined) return [];
    if (typeof keys === "string") return [this.objects.get(keys)!];
    const out: T[] = [];
    for (const key of keys) out.push(this.objects.get(key)!);
    return out;
  }

  /** Stores the object under its key; returns what was there before. */
  set(obj: T): T | undefined {
    const meta = obj.metadata;
    const namespace = meta.namespace;
    if (this.objects.size === 0) {
      this.primary = namespace || undefined;
      this.whole = this.primary !== undefined;
    } else if (this.primary !== undefined && !namespace) this.expand();
    const name = meta.name ?? "";
    const key = this.primary !== undefined && namespace === this.primary && !name.includes("/") ? name : objectKey(meta);
    const old = this.objects.get(key);
    // An object's namespace is part of its key: an update's is its old one's.
    if (old === undefined && this.whole && namespace !== this.primary) this.fileWholeNamespace();
    this.objects.set(key, obj);
    for (const [index, fn] of this.indexers) {
      if (index === NAMESPACE_INDEX && this.whole) continue;
      const idx = this.indices.get(index)!;
      const values = fn(obj);
      if (old) {
        // An update mostly keeps its index values (its namespace, its node): nothing to refile.
        const before = fn(old);
        if (before.length === values.length && before.every((v, i) => v === values[i])) continue;
        unfile(idx, before, key);
      }
      file(idx, values, key);
    }
    return old;
  }

  /** Removes the object under `key`; returns it. */
  delete(key: string): T | undefined {
    const internal = this.internal(key);
    const old = internal === undefined ? undefined : this.objects.get(internal);
    if (!old) return undefined;
    for (const [index, fn] of this.indexers) {
      if (index === NAMESPACE_INDEX && this.whole) continue;
      unfile(this.indices.get(index)!, fn(old), internal!);
    }
    this.objects.delete(internal!);
    if (this.objects.size === 0) {
      this.primary = undefined;
      this.whole = false;
    } else if (!this.whole) this.dropWholeNamespaceBucket();
    return old;
  }

  /** A `namespace/name` (or cluster-scoped `name`) key as `objects` keys it; undefined when no cached object can have it. */
  private internal(key: string): string | undefined {
    const primary = this.primary;
    if (primary === undefined) return key;
    const slash = key.indexOf("/");
    if (slash < 0) return undefined; // cluster-scoped: none is cached while primary is set
    if (slash === primary.length && key.startsWith(primary) && key.indexOf("/", slash + 1) < 0) return key.slice(slash + 1);
    return key;
  }

  /** Files every cached object under `primary`, which they were all in: another namespace's object comes. */
  private fileWholeNamespace(): void {
    const index = this.indices.get(NAMESPACE_INDEX)!;
    const namespace = [this.primary!];
    this.whole = false;
    for (const key of this.objects.keys()) file(index, namespace, key);
  }

  /** When `primary`'s bucket holds every cached object again, drops it (see `whole`). */
  private dropWholeNamespaceBucket(): void {
    const index = this.indices.get(NAMESPACE_INDEX)!;
    if (this.primary === undefined || index.size !== 1) return;
    const keys = index.get(this.primary);
    if (keys === undefined) return;
    const count = typeof keys === "string" ? 1 : Array.isArray(keys) ? keys.length : keys.size;
    if (count !== this.objects.size) return;
    index.clear();
    this.whole = true;
  }

  /**
   * A cluster-scoped object comes while `primary`'s objects are keyed by name: every key becomes
   * `namespace/name`, in `objects` and in every index, each in its place (until the cache is empty).
   */
  private expand(): void {
    if (this.whole) this.fileWholeNamespace();
    const primary = this.primary!;
    this.primary = undefined;
    const full = (key: string) => (key.includes("/") ? key : `${primary}/${key}`);
    const entries = [...this.objects];
    this.objects.clear();
    for (const [key, obj] of entries) this.objects.set(full(key), obj);
    for (const index of this.indices.values()) {
      for (const [value, keys] of index) {
        if (typeof keys === "string") index.set(value, full(keys));
        else if (Array.isArray(keys)) for (let i = 0; i < keys.length; i++) keys[i] = full(keys[i]!);
        else index.set(value, new Set([...keys].map(full)));
      }
    }
  }
}

/**
 * Index value → the keys filed under it: one key as itself, up to 128 in an array, more in a Set.
 * Most index values have one object (the garbage collector files objects under their uid) or a
 * few (the pods on one node), and a Set costs ~1 KB of storage for one key and ~130 B a key for
 * a few dozen: 50 MB in a server's informers at 50,000 pods when every value had a Set, 6 MB for
 * the node lifecycle's pods by node (5,000 nodes) while those were Sets. An array keeps its keys
 * in the order they were filed, as a Set does, so byIndex answers in the same order either way.
 */
type Index = Map<string, string | string[] | Set<string>>;

/** Keys an index value holds in an array before they move to a Set (filing and removal scan the array: 128 is well under a microsecond). */
const ARRAY_KEYS_MAX = 128;

function unfile(index: Index, values: string[], key: string): void {
  for (const value of values) {
    const keys = index.get(value);
    if (keys === key) index.delete(value);
    else if (Array.isArray(keys)) {
      const at = keys.indexOf(key);
      if (at < 0) continue;
      keys.splice(at, 1);
      if (keys.length === 1) index.set(value, keys[0]!);
    } else if (typeof keys === "object" && keys.delete(key) && keys.size === 1) index.set(value, keys.values().next().value!);
  }
}

function file(index: Index, values: string[], key: string): void {
  for (const value of values) {
    const keys = index.get(value);
    if (keys === undefined) index.set(value, key);
    else if (typeof keys === "string") {
      if (keys !== key) index.set(value, [keys, key]);
    } else if (Array.isArray(keys)) {
      if (keys.includes(key)) continue;
      if (keys.length < ARRAY_KEYS_MAX) keys.push(key);
      else index.set(value, new Set([...keys, key]));
    } else keys.add(key);
  }
}
