// An object's history: every version the revision log still holds (GET <object>/history), with
// its revision, when and which field manager changed it, and a diff against the version before.
import YAML from "yaml";
import { objectPath, type ResourceType } from "../catalog.ts";
import { diffLines } from "../diff.ts";
import { h } from "../dom.ts";
import type { Ctx } from "../context.ts";
import { withoutManagedFields } from "../objects.ts";

/** The YAML compared between versions: without managedFields and resourceVersion, which every write changes. */
function comparable(obj: any): string {
  const o = withoutManagedFields(obj);
  const { resourceVersion: _, ...metadata } = o.metadata ?? {};
  return YAML.stringify({ ...o, metadata });
}

export function historyPanel(ctx: Ctx, t: ResourceType, obj: any, panel: HTMLElement): void {
  const path = `${objectPath(t, obj.metadata.namespace, obj.metadata.name)}/history`;
  const list = h("ol", { class: "history", id: "history" });
  const diff = h("pre", { class: "diff", id: "history-diff" });
  const note = h("p", { class: "muted", id: "history-note" });
  panel.append(note, h("div", { class: "split" }, list, diff));
  ctx.api
    .json(path)
    .then((res) => {
      const items = res.items as any[];
      note.textContent = `${items.length} version${items.length === 1 ? "" : "s"} in the revision log. Versions older than revision ${res.metadata.compactedRevision} were compacted away.`;
      const show = (i: number) => {
        for (const li of list.children) li.classList.toggle("active", li.getAttribute("data-index") === String(i));
        const before = i > 0 ? comparable(items[i - 1].object) : "";
        diff.replaceChildren(...diffLines(before, comparable(items[i].object)).map((l) => h("span", { class: l.op === "+" ? "add" : l.op === "-" ? "del" : "same" }, `${l.op} ${l.text}\n`)));
      };
      items.forEach((item, i) => {
        const who = item.manager ? `${item.manager}${item.operation ? ` (${item.operation})` : ""}` : "";
        list.append(h("li", { "data-index": i, "data-revision": item.revision, onclick: () => show(i) }, h("strong", {}, `rev ${item.revision}`), ` ${item.type.toLowerCase()}`, item.time ? ` ${item.time}` : "", who ? h("span", { class: "muted" }, ` by ${who}`) : ""));
      });
      if (items.length) show(items.length - 1);
    })
    .catch((err) => panel.append(h("p", { class: "error" }, err.message)));
}
