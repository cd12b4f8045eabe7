// A ControllerContext for unit tests of controllers' sync: informers that are never started
// (tests seed their caches), a client that records the writes it is asked for and answers
// each with what the test set up, and a recorder that keeps the events.
import type { KubeObject } from "../../src/apis/meta.ts";
import type { ResourceInfo } from "../../src/apis/registry.ts";
import { SharedInformerFactory, type ControllerContext, type KubeClient, type ListWatchSource } from "../../src/client/index.ts";

/** One call the controller made, as "verb resource namespace/name". */
export type Call = string;

export class FakeClient {
  readonly calls: Call[] = [];
  readonly bodies: unknown[] = [];
  /** Errors to throw, by call ("delete pods ns/p"); absent calls succeed. */
  readonly failures = new Map<Call, unknown>();
  /** Objects get() answers with, by "resource namespace/name" (absent: 404). */
  readonly objects = new Map<string, KubeObject>();

  private call(verb: string, r: ResourceInfo, namespace: string | undefined, name: string, body?: unknown): void {
    const call = `${verb} ${r.resource} ${namespace ? `${namespace}/` : ""}${name}`;
    this.calls.push(call);
    this.bodies.push(body);
    const failure = this.failures.get(call);
    if (failure) throw failure;
  }

  async get(r: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    const obj = this.objects.get(`${r.resource} ${namespace ? `${namespace}/` : ""}${name}`);
    if (!obj) throw Object.assign(new Error(`${r.resource} "${name}" not found`), { code: 404, reason: "NotFound" });
    return obj;
  }
  async create(r: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<KubeObject> {
    this.call("create", r, namespace, obj.metadata.name!, obj);
    return obj;
  }
  async patch(r: ResourceInfo, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    this.call("patch", r, namespace, name, patch);
    return { metadata: { name, namespace } };
  }
  async updateStatus(r: ResourceInfo, obj: KubeObject): Promise<KubeObject> {
    this.call("updateStatus", r, obj.metadata.namespace, obj.metadata.name!, obj);
    return obj;
  }
  async delete(r: ResourceInfo, namespace: string | undefined, name: string, opts?: unknown): Promise<void> {
    this.call("delete", r, namespace, name, opts);
  }
  /** Objects list() answers with, by resource (absent: none). */
  readonly listed = new Map<string, KubeObject[]>();

  async list(r: ResourceInfo): Promise<{ items: KubeObject[]; metadata: object }> {
    return { items: this.listed.get(r.resource) ?? [], metadata: {} };
  }
  async request(method: string, path: string, opts?: { body?: unknown }): Promise<unknown> {
    this.calls.push(`${method} ${path}`);
    this.bodies.push(opts?.body);
    const failure = this.failures.get(`${method} ${path}`);
    if (failure) throw failure;
    return {};
  }
}

/** Informers of this source are never started: listing or watching is a test mistake. */
const unstarted: ListWatchSource = {
  listerWatcher: () => ({
    list: () => Promise.reject(new Error("unit tests seed informer caches; nothing lists")),
    watch: () => Promise.reject(new Error("unit tests seed informer caches; nothing watches")),
  }),
};

export interface RecordedEvent {
  component: string;
  object: string;
  type: string;
  reason: string;
}

export function fakeControllerContext(now = () => new Date("2025-01-01T00:00:00Z")) {
  const client = new FakeClient();
  const informers = new SharedInformerFactory(unstarted);
  const events: RecordedEvent[] = [];
  const ctx: ControllerContext = {
    client: client as unknown as KubeClient,
    informers,
    now,
    recorder: (component) => ({
      event: (object, type, reason) => void events.push({ component, object: `${object.kind ?? ""}/${object.metadata.name}`, type, reason }),
    }),
  };
  /** Puts objects in the cache of the shared informer of `kind` (and scope) as a list would. */
  const seed = (kind: string, objs: KubeObject[], scope: { namespace?: string } = {}) => {
    const informer = informers.informerFor(kind, scope);
    for (const obj of objs) informer.cache.set(obj);
  };
  return { ctx, client, events, seed };
}
