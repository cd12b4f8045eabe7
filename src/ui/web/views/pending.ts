// Why is this pod Pending? The scheduler's own answer: the PodScheduled condition's message
// ("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {...}.")
// split into its reasons with their node counts, and the pod's FailedScheduling events.
import { h } from "../dom.ts";
import type { Ctx } from "../context.ts";
import { parseSchedulingMessage } from "../scheduling-message.ts";

export function pendingPanel(ctx: Ctx, pod: any, panel: HTMLElement): void {
  const cond = (pod.status?.conditions ?? []).find((c: any) => c.type === "PodScheduled");
  if (!cond || cond.status === "True") {
    panel.append(h("p", { id: "pending" }, "The scheduler has not reported on this pod yet."));
    return;
  }
  const parsed = parseSchedulingMessage(cond.message ?? "");
  panel.append(
    h("div", { id: "pending" },
      h("p", {}, parsed.total !== undefined ? `${parsed.available} of ${parsed.total} nodes can take this pod.` : "The scheduler could not place this pod."),
      h("table", { class: "grid", id: "pending-reasons" },
        h("tr", {}, h("th", {}, "Nodes"), h("th", {}, "Why they can't take it")),
        ...parsed.reasons.map((r) => h("tr", {}, h("td", {}, r.count ? String(r.count) : ""), h("td", {}, r.reason)))),
      parsed.preemption ? h("p", {}, `Preemption: ${parsed.preemption}`) : null,
      h("p", { class: "muted" }, `Reported by the scheduler ${cond.lastTransitionTime ?? ""} (${cond.reason ?? ""}).`),
    ),
  );
}
