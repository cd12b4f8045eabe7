// The ClusterRole aggregation controller (pkg/controller/clusterroleaggregation): a ClusterRole
// with an aggregationRule has its rules kept equal to the union of the rules of every other
// ClusterRole its selectors match, in name order without repeats. That is how `admin`, `edit`
// and `view` grow when a ClusterRole labelled aggregate-to-view (say, one an operator installs)
// appears. Any ClusterRole change may change any aggregate, so every change enqueues them all.
import type { ClusterRole, PolicyRule } from "../apis/rbac/rbac.ts";
import { type ControllerContext, type EventHandler, type KubeClient, type Lister, resourceFor, type Running, WorkQueue } from "../client/index.ts";
import { runController } from "./controller-utils.ts";

export interface ClusterRoleAggregationDeps {
  clusterRoles: Lister<ClusterRole>;
  /** Writes an aggregated role's new rules (an update carrying the cached resourceVersion). */
  writeRules(role: ClusterRole, rules: PolicyRule[]): Promise<void>;
}

/** The rules an aggregated role should hold: pure, over the cached roles. */
export function aggregatedRules(role: ClusterRole, all: Lister<ClusterRole>): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const selector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const matched = all.list(undefined, selector).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
    for (const other of matched) {
      if (other.metadata.name === role.metadata.name) continue;
      for (const rule of other.rules ?? []) if (!rules.some((r) => Bun.deepEquals(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

export class ClusterRoleAggregationController {
  readonly queue = new WorkQueue<string>();

  constructor(private readonly deps: ClusterRoleAggregationDeps) {}

  /** Whatever changed, every aggregated role is looked at again. */
  readonly handler: EventHandler<ClusterRole> = {
    onAdd: () => this.enqueueAggregated(),
    onUpdate: () => this.enqueueAggregated(),
    onDelete: () => this.enqueueAggregated(),
  };

  private enqueueAggregated(): void {
    for (const role of this.deps.clusterRoles.list()) if (role.aggregationRule) this.queue.add(role.metadata.name!);
  }

  async sync(name: string): Promise<void> {
    const role = this.deps.clusterRoles.get(undefined, name);
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, this.deps.clusterRoles);
    if (Bun.deepEquals(rules, role.rules ?? [])) return;
    await this.deps.writeRules(role, rules);
  }
}

function ruleWriter(client: KubeClient): ClusterRoleAggregationDeps["writeRules"] {
  const r = resourceFor("ClusterRole");
  return async (role, rules) => void (await client.update(r, { ...role, rules }));
}

export function startClusterRoleAggregationController(ctx: ControllerContext, opts: { workers?: number } = {}): Running {
  const informer = ctx.informers.informerFor<ClusterRole>("ClusterRole");
  const controller = new ClusterRoleAggregationController({ clusterRoles: informer.lister, writeRules: ruleWriter(ctx.client) });
  const removers = [informer.addEventHandler(controller.handler)];
  return runController(ctx.informers, controller.queue, opts.workers ?? 1, (key) => controller.sync(key), removers);
}
