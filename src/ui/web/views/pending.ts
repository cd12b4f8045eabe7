// Why is this pod Pending? The scheduler's answer node by node (GET pods/NAME/scheduling): the
// nodes grouped by the reason they can't take the pod, with counts, the first nodes of each
// group and the numbers behind a resource reason ("needs 2 CPU, 0.5 free of 2"), and, for the
// nodes that could take it, their scores. Above it, the scheduler's own last word (the
// PodScheduled condition's message).
import { append, h } from "../dom.ts";
import type { Ctx } from "../context.ts";
import { parseSchedulingMessage } from "../scheduling-message.ts";

export function pendingPanel(ctx: Ctx, pod: any, panel: HTMLElement): void {
  const cond = (pod.status?.conditions ?? []).find((c: any) => c.type === "PodScheduled");
  const root = h("div", { id: "pending" });
  panel.append(root);
  if (cond && cond.status === "False") {
    const parsed = parseSchedulingMessage(cond.message ?? "");
    root.append(h("p", { id: "scheduler-message" }, `The scheduler, ${cond.lastTransitionTime ?? ""}: ${cond.message ?? cond.reason ?? ""}`));
    if (parsed.preemption) root.append(h("p", {}, `Preemption: ${parsed.preemption}`));
  }
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/scheduling`;
  ctx.api
    .json(path)
    .then((d) => {
      append(root, [
        h("p", { id: "pending-summary" }, `Now: ${d.feasible} of ${d.nodes} nodes can take this pod.`),
        h("table", { class: "grid", id: "pending-reasons" },
          h("tr", {}, h("th", {}, "Nodes"), h("th", {}, "Why they can't take it"), h("th", {}, "For example")),
          ...d.groups.map((g: any) => h("tr", {},
            h("td", {}, String(g.count)),
            h("td", {}, g.reason),
            h("td", {}, h("ul", { class: "kv" }, ...g.nodes.slice(0, 5).map((n: any) => h("li", {}, h("code", {}, n.node), n.details.length ? `: ${n.details.join("; ")}` : "")), g.count > 5 ? h("li", { class: "muted" }, `and ${g.count - 5} more`) : null))))),
        d.scores.length
          ? h("div", {}, h("h3", {}, "Nodes that could take it, best first"), h("table", { class: "grid", id: "pending-scores" },
              h("tr", {}, h("th", {}, "Node"), h("th", {}, "Score"), h("th", {}, "By plugin")),
              ...d.scores.map((s: any) => h("tr", {}, h("td", {}, s.node), h("td", {}, String(Math.round(s.total))), h("td", {}, Object.entries(s.plugins).map(([k, v]) => `${k} ${Math.round(v as number)}`).join(", "))))))
          : null,
        h("p", { class: "muted" }, `Computed now by the scheduler's filter and score plugins over the cluster as it is (GET ${path}).`),
      ]);
    })
    .catch((err) => root.append(h("p", { class: "error" }, err.message)));
}
