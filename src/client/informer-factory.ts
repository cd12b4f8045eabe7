// One informer per resource and scope for a whole process (client-go's SharedInformerFactory):
// the scheduler and the controllers in `kubun server` ask for pods and all read one cache fed by
// one watch, instead of each opening its own.
import type { KubeObject } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import { resourceFor } from "./paths.ts";
import type { ListerWatcher, Scope } from "./types.ts";

/** Where informers get their list+watch: a KubeClient, or a fake in tests. */
export interface ListWatchSource {
  listerWatcher<T extends KubeObject>(r: ResourceInfo, scope?: Scope): ListerWatcher<T>;
}

/** Options every informer of the factory shares (indexers are added per informer). */
export type SharedInformerOptions = Omit<InformerOptions, "indexers">;

export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly source: ListWatchSource,
    private readonly opts: SharedInformerOptions = {},
  ) {}

  /**
   * The shared informer of a resource (by ResourceInfo or kind) and scope, made on first request.
   * Informers requested after start() start at once.
   */
  informerFor<T extends KubeObject = KubeObject>(resource: ResourceInfo | string, scope: Scope = {}): Informer<T> {
    const r = typeof resource === "string" ? resourceFor(resource) : resource;
    const key = [r.group, r.resource, scope.namespace ?? "", scope.labelSelector ?? "", scope.fieldSelector ?? ""].join("|");
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>(this.source.listerWatcher(r, scope), this.opts as InformerOptions);
      this.informers.set(key, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Stops and drops the informer of a resource that is no longer served (a deleted CRD's). */
  async forget(resource: ResourceInfo, scope: Scope = {}): Promise<void> {
    const key = [resource.group, resource.resource, scope.namespace ?? "", scope.labelSelector ?? "", scope.fieldSelector ?? ""].join("|");
    const informer = this.informers.get(key);
    this.informers.delete(key);
    await informer?.stop();
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves true once every informer made so far has synced; false if one stops (or `signal` aborts) first. */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
