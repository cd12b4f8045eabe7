// The write path's allocators: values an object holds outside the store (a Service's cluster IP
// and node ports, a Node's pod CIDR), claimed synchronously right before the store write so that
// concurrent writes never share one, and settled once the write is known. Storage calls them;
// service-allocator.ts and node-cidr-guard.ts implement them.
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";

/** A claim on something an object holds outside the store, settled once the write is known. */
export interface Allocation {
  /** Before the write (not in a dry run): makes the claims good across API servers sharing the datastore. */
  reserve?(): Promise<void>;
  /** The write landed: give back what the old object held and the new one doesn't. */
  commit(): void | Promise<void>;
  /** The write failed or was a dry run: give back what was claimed. */
  revert(): void | Promise<void>;
}

/**
 * Values allocated in the write path (a Service's cluster IP and node ports): claimed
 * synchronously right before the store write, so concurrent writes never share one.
 */
export interface Allocator {
  /** Claims what `next` needs (filling in what is missing); undefined when the kind holds nothing. */
  begin(r: ResourceInfo, next: KubeObject | undefined, current: KubeObject | undefined): Allocation | undefined;
}

/** Several allocators as one: each answers for its own kinds, the first that does wins. */
export function allocators(...list: Allocator[]): Allocator {
  return {
    begin(r, next, current) {
      for (const a of list) {
        const allocation = a.begin(r, next, current);
        if (allocation) return allocation;
      }
      return undefined;
    },
  };
}
