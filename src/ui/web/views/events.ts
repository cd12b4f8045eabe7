// The events about one object (fieldSelector involvedObject.uid), newest last, kept live.
import { age, h } from "../dom.ts";
import type { Ctx } from "../context.ts";

export function eventsPanel(ctx: Ctx, obj: any, panel: HTMLElement): () => void {
  const ns = obj.metadata.namespace;
  const path = `${ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}` : "/api/v1"}/events?fieldSelector=${encodeURIComponent(`involvedObject.uid=${obj.metadata.uid}`)}`;
  const table = h("table", { class: "grid", id: "events" });
  const events = new Map<string, any>();
  const draw = () => {
    const sorted = [...events.values()].sort((a, b) => Date.parse(a.lastTimestamp ?? a.eventTime ?? a.metadata.creationTimestamp) - Date.parse(b.lastTimestamp ?? b.eventTime ?? b.metadata.creationTimestamp));
    table.replaceChildren(
      h("tr", {}, ...["Type", "Reason", "Age", "From", "Message"].map((c) => h("th", {}, c))),
      ...sorted.map((e) => h("tr", { class: e.type === "Warning" ? "warning" : "" }, h("td", {}, e.type), h("td", {}, e.reason), h("td", {}, age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp)), h("td", {}, e.source?.component ?? e.reportingComponent ?? ""), h("td", {}, e.message ?? ""))),
    );
  };
  panel.append(table);
  let stop: (() => void) | undefined;
  let stopped = false;
  const list = async () => {
    const res = await ctx.api.json(path);
    events.clear();
    for (const e of res.items) events.set(e.metadata.uid, e);
    draw();
    return res.metadata.resourceVersion as string;
  };
  list()
    .then((rv) => {
      if (stopped) return;
      stop = ctx.api.watch(path, rv, (e) => {
        if (e.type === "DELETED") events.delete(e.object.metadata.uid);
        else events.set(e.object.metadata.uid, e.object);
        draw();
      }, { relist: list });
    })
    .catch((err) => panel.append(h("p", { class: "error" }, err.message)));
  return () => {
    stopped = true;
    stop?.();
  };
}
