// An informer's local copy of the objects it watches (client-go's thread-safe store + indexer):
// objects by "ns/name" key, a namespace index, and named indexes callers add, such as pods by
// spec.nodeName. Objects are shared with every reader: treat them as read-only.
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
  private readonly objects = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>([[NAMESPACE_INDEX, byNamespace as IndexFunc<T>]]);
  private readonly indices = new Map<string, Index>([[NAMESPACE_INDEX, new Map()]]);
  /**
   * The namespace every cached object is in, while they all are in one (and there is at least
   * one): the namespace index then holds no bucket for it, since the bucket would be every key of
   * `objects` in `objects`' order (a namespace's keys are filed when first cached and unfiled
   * when deleted, as `objects` adds and removes them). A server's pods are often all in one
   * namespace: that bucket was a Set of 50,000 keys (2.5 MB). The bucket is made, in that
   * order, when an object of another namespace (or none) comes; and dropped again when a
   * delete leaves one namespace holding every object.
   */
  private wholeNamespace: string | undefined = undefined;

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
    return this.objects.get(objectKey({ namespace, name }));
  }

  getByKey(key: string): T | undefined {
    return this.objects.get(key);
  }

  keys(): string[] {
    return [...this.objects.keys()];
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
    if (value === this.wholeNamespace && index === NAMESPACE_INDEX) return [...this.objects.values()];
    const keys = idx.get(value);
    if (keys === undefined) return [];
    if (typeof keys === "string") return [this.objects.get(keys)!];
    const out: T[] = [];
    for (const key of keys) out.push(this.objects.get(key)!);
    return out;
  }

  /** Stores the object under its key; returns what was there before. */
  set(obj: T): T | undefined {
    const key = objectKey(obj.metadata);
    const old = this.objects.get(key);
    const namespace = obj.metadata.namespace;
    // An object's namespace is part of its key: an update's is its old one's.
    if (old === undefined && namespace !== this.wholeNamespace) {
      if (this.objects.size === 0 && namespace) this.wholeNamespace = namespace;
      else if (this.wholeNamespace !== undefined) this.fileWholeNamespace();
    }
    this.objects.set(key, obj);
    for (const [name, fn] of this.indexers) {
      if (name === NAMESPACE_INDEX && this.wholeNamespace !== undefined) continue;
      const index = this.indices.get(name)!;
      const values = fn(obj);
      if (old) {
        // An update mostly keeps its index values (its namespace, its node): nothing to refile.
        const before = fn(old);
        if (before.length === values.length && before.every((v, i) => v === values[i])) continue;
        unfile(index, before, key);
      }
      file(index, values, key);
    }
    return old;
  }

  /** Removes the object under `key`; returns it. */
  delete(key: string): T | undefined {
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.unfile(key, old);
    this.objects.delete(key);
    if (this.objects.size === 0) this.wholeNamespace = undefined;
    else if (this.wholeNamespace === undefined) this.dropWholeNamespaceBucket();
    return old;
  }

  private unfile(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      if (name === NAMESPACE_INDEX && this.wholeNamespace !== undefined) continue;
      unfile(this.indices.get(name)!, fn(obj), key);
    }
  }

  /** Files every cached object under the namespace they were all in: another namespace's object comes. */
  private fileWholeNamespace(): void {
    const index = this.indices.get(NAMESPACE_INDEX)!;
    const namespace = [this.wholeNamespace!];
    this.wholeNamespace = undefined;
    for (const key of this.objects.keys()) file(index, namespace, key);
  }

  /** When one namespace's bucket holds every cached object again, drops it (see wholeNamespace). */
  private dropWholeNamespaceBucket(): void {
    const index = this.indices.get(NAMESPACE_INDEX)!;
    if (index.size !== 1) return;
    const [namespace, keys] = index.entries().next().value!;
    const count = typeof keys === "string" ? 1 : Array.isArray(keys) ? keys.length : keys.size;
    if (count !== this.objects.size) return;
    index.clear();
    this.wholeNamespace = namespace;
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
