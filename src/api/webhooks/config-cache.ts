// The webhook configurations the dispatchers consult, kept in memory and current by a watch on
// the server's own store (kube-apiserver's admission plugins read them from an informer, not
// from etcd per request). Configurations are taken in name order and webhooks in their order
// within one, as upstream sorts them.
import { findResource, type ResourceInfo } from "../../apis/registry.ts";
import type { Webhook, WebhookConfiguration } from "../../apis/admissionregistration/webhook.ts";
import type { Storage } from "../storage.ts";
import type { WatchHandle } from "../../store/index.ts";

export const VALIDATING_CONFIGS = findResource("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations")!;
export const MUTATING_CONFIGS = findResource("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations")!;

/** One webhook and the configuration it came from. */
export interface ConfiguredWebhook {
  configuration: string;
  hook: Webhook;
}

class ConfigSet {
  private readonly byName = new Map<string, WebhookConfiguration>();
  private sorted: ConfiguredWebhook[] | undefined = [];
  private readonly handle: WatchHandle;

  constructor(storage: Storage, r: ResourceInfo) {
    const list = storage.list(r, undefined);
    for (const e of list.items) this.byName.set(e.object.metadata.name!, e.object as WebhookConfiguration);
    this.handle = storage.watch(r, undefined, list.revision, (events) => {
      for (const ev of events) {
        if (ev.type === "DELETED") this.byName.delete(ev.object.metadata.name!);
        else this.byName.set(ev.object.metadata.name!, ev.object as WebhookConfiguration);
      }
      this.sorted = undefined;
    });
  }

  get webhooks(): readonly ConfiguredWebhook[] {
    if (!this.sorted) {
      const names = [...this.byName.keys()].sort();
      this.sorted = names.flatMap((n) => (this.byName.get(n)!.webhooks ?? []).map((hook) => ({ configuration: n, hook })));
    }
    return this.sorted;
  }

  close(): void {
    this.handle.close();
  }
}

export class WebhookConfigCache {
  private readonly validatingSet: ConfigSet;
  private readonly mutatingSet: ConfigSet;

  constructor(storage: Storage) {
    this.validatingSet = new ConfigSet(storage, VALIDATING_CONFIGS);
    this.mutatingSet = new ConfigSet(storage, MUTATING_CONFIGS);
  }

  get validating(): readonly ConfiguredWebhook[] {
    return this.validatingSet.webhooks;
  }

  get mutating(): readonly ConfiguredWebhook[] {
    return this.mutatingSet.webhooks;
  }

  close(): void {
    this.validatingSet.close();
    this.mutatingSet.close();
  }
}
