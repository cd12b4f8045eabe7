// The ValidatingAdmissionPolicies and their bindings the admission step consults, kept in memory
// and current by watches on the server's own store, as kube-apiserver's policy plugin reads
// them from informers rather than per request. Each policy comes with the bindings that name
// it, both in name order; a binding whose policy does not exist binds nothing.
import { findResource, type ResourceInfo } from "../../apis/registry.ts";
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from "../../apis/admissionregistration/policy.ts";
import type { KubeObject } from "../../apis/meta.ts";
import type { Storage } from "../storage.ts";
import type { WatchHandle } from "../../store/index.ts";

export const POLICIES = findResource("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies")!;
export const BINDINGS = findResource("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings")!;

export interface PolicyHook {
  policy: ValidatingAdmissionPolicy;
  bindings: ValidatingAdmissionPolicyBinding[];
}

class Watched<T extends KubeObject> {
  readonly byName = new Map<string, T>();
  private readonly handle: WatchHandle;

  constructor(storage: Storage, r: ResourceInfo, changed: () => void) {
    const list = storage.list(r, undefined);
    for (const e of list.items) this.byName.set(e.object.metadata.name!, e.object as T);
    this.handle = storage.watch(r, undefined, list.revision, (events) => {
      for (const ev of events) {
        if (ev.type === "DELETED") this.byName.delete(ev.object.metadata.name!);
        else this.byName.set(ev.object.metadata.name!, ev.object as T);
      }
      changed();
    });
  }

  close(): void {
    this.handle.close();
  }
}

export class PolicyCache {
  private readonly policies: Watched<ValidatingAdmissionPolicy>;
  private readonly bindings: Watched<ValidatingAdmissionPolicyBinding>;
  private sorted: PolicyHook[] | undefined;

  constructor(storage: Storage) {
    const changed = () => (this.sorted = undefined);
    this.policies = new Watched(storage, POLICIES, changed);
    this.bindings = new Watched(storage, BINDINGS, changed);
  }

  /** Policies that have at least one binding, with their bindings. */
  get hooks(): readonly PolicyHook[] {
    if (!this.sorted) {
      const byPolicy = new Map<string, ValidatingAdmissionPolicyBinding[]>();
      for (const name of [...this.bindings.byName.keys()].sort()) {
        const b = this.bindings.byName.get(name)!;
        const p = b.spec?.policyName ?? "";
        byPolicy.set(p, [...(byPolicy.get(p) ?? []), b]);
      }
      this.sorted = [...this.policies.byName.keys()]
        .sort()
        .filter((n) => byPolicy.has(n))
        .map((n) => ({ policy: this.policies.byName.get(n)!, bindings: byPolicy.get(n)! }));
    }
    return this.sorted;
  }

  close(): void {
    this.policies.close();
    this.bindings.close();
  }
}
