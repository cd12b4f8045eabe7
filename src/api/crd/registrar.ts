// Serves the CustomResourceDefinitions in the store (apiextensions-apiserver's controllers, run
// inside the API server as upstream runs them): watches CRDs, writes their status (names
// accepted, Established, stored versions — naming.ts), puts their served versions into the
// registry of resources (src/apis/registry.ts) so routing, discovery and OpenAPI see them the
// moment the status lands, and, for a deleting CRD, deletes every custom resource before taking
// the customresourcecleanup finalizer off. Every API server runs one: each serves what its own
// store says, and their status writes agree (they compute the same status).
import { customResources } from "../../apis/apiextensions/custom-resource.ts";
import { CLEANUP_FINALIZER, type CustomResourceDefinition } from "../../apis/apiextensions/types.ts";
import { isConflict, isNotFound } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { customResourcesOf, findResource, type ResourceInfo, setCustomResources, storePrefix } from "../../apis/registry.ts";
import { formatTime } from "../../apis/time.ts";
import type { WatchHandle } from "../../store/index.ts";
import type { Storage } from "../storage.ts";
import { desiredStatus } from "./naming.ts";

export const CRDS = findResource("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
const RETRY_MS = 500;

export class CRDRegistrar {
  private handle?: WatchHandle;
  private readonly queue = new Set<string>();
  private running = false;
  private stopped = false;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private idle: (() => void)[] = [];

  constructor(
    private readonly storage: Storage,
    private readonly now: () => Date = () => new Date(),
    private readonly log: (msg: string) => void = (m) => console.error(m),
  ) {}

  /** Serves the stored CRDs, then follows changes. Resolves once the stored ones are served. */
  async start(): Promise<void> {
    const list = this.storage.list(CRDS, undefined);
    for (const e of list.items) this.queue.add(e.object.metadata.name!);
    this.handle = this.storage.watch(CRDS, undefined, list.revision, (events) => {
      for (const e of events) this.enqueue(e.object.metadata.name!);
    });
    this.kick();
    await this.settled();
  }

  stop(): void {
    this.stopped = true;
    this.handle?.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves when no CRD is waiting to be reconciled (tests, start-up). */
  settled(): Promise<void> {
    if (!this.running && this.queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private enqueue(name: string): void {
    if (this.stopped) return;
    this.queue.add(name);
    this.kick();
  }

  private later(name: string): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(name);
    }, RETRY_MS);
    this.timers.add(t);
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    while (this.queue.size && !this.stopped) {
      const name = this.queue.values().next().value!;
      this.queue.delete(name);
      try {
        if (!(await this.reconcile(name))) this.later(name);
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) this.log(`kubun: customresourcedefinition ${name}: ${err instanceof Error ? err.message : String(err)}`);
        this.later(name);
      }
    }
    this.running = false;
    for (const r of this.idle.splice(0)) r();
  }

  /** One pass over one CRD; false when it must be looked at again shortly (objects still going). */
  private async reconcile(name: string): Promise<boolean> {
    const entry = this.storage.store.get(`${storePrefix(CRDS)}${name}`);
    if (!entry) {
      setCustomResources(name, []);
      // Names it held may be free for a CRD that wanted them.
      for (const e of this.storage.list(CRDS, undefined).items) {
        if ((e.object as CustomResourceDefinition).status?.conditions?.some((c) => c.type === "NamesAccepted" && c.status === "False")) this.queue.add(e.object.metadata.name!);
      }
      return true;
    }
    const crd = entry.object as CustomResourceDefinition;
    const others = this.storage.list(CRDS, undefined).items.map((e) => e.object as CustomResourceDefinition);
    const status = desiredStatus(crd, others, formatTime(this.now()));
    if (!Bun.deepEquals(status, crd.status)) {
      await this.storage.update(CRDS, undefined, name, (cur) => ({ ...cur, status }) as KubeObject, { subresource: "status" });
      return true; // the write's watch event brings it back
    }
    const terminating = !!crd.metadata.deletionTimestamp;
    const served = customResources(crd).map((r) => (terminating ? { ...r, verbs: r.verbs.filter((v) => v !== "create") } : r));
    setCustomResources(name, served);
    if (terminating && crd.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return this.cleanup(crd);
    return true;
  }

  /** Deletes the CRD's objects; once none is left, lets the CRD go. */
  private async cleanup(crd: CustomResourceDefinition): Promise<boolean> {
    const r: ResourceInfo | undefined = customResourcesOf(crd.metadata.name!)[0];
    if (r) {
      const items = this.storage.list(r, undefined).items;
      for (const { object } of items) {
        if (object.metadata.deletionTimestamp) continue;
        try {
          await this.storage.delete(r, object.metadata.namespace, object.metadata.name!, { propagationPolicy: "Background" });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      if (this.storage.list(r, undefined).items.length) return false;
    }
    await this.storage.update(CRDS, undefined, crd.metadata.name!, (cur) => {
      cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
      if (!cur.metadata.finalizers.length) delete cur.metadata.finalizers;
      return cur;
    });
    return true;
  }
}
