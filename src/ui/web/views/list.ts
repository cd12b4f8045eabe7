// A list of one kind, with the server's own columns (the Table kubectl prints), kept live by a
// Table watch: a row changes in place when its object does. Rows link to the object's page.
import { TABLE_ACCEPT } from "../api.ts";
import { collectionPath, type ResourceType } from "../catalog.ts";
import { clear, h } from "../dom.ts";
import type { View } from "../context.ts";
import { findType, objectHash } from "../objects.ts";
import { VirtualTable } from "../vlist.ts";

interface TableRow {
  cells: unknown[];
  object: { metadata: { name: string; namespace?: string; uid: string; resourceVersion?: string } };
}
interface Table {
  columnDefinitions: { name: string; priority?: number }[];
  rows: TableRow[];
  metadata: { resourceVersion: string };
}

export const listView: View = (ctx, main, [group = "core", version = "v1", resource = "pods"]) => {
  const t = findType(ctx, group, version, resource);
  const ns = ctx.namespace();
  const path = collectionPath(t, ns);
  const status = h("p", { class: "muted", id: "list-status" }, "Loading…");
  clear(main, h("h2", {}, t.kind, t.namespaced ? h("small", {}, ns ? ` in ${ns}` : " in all namespaces") : null), status);
  const rows = new Map<string, TableRow>();
  let table: VirtualTable<TableRow> | undefined;
  let stop: (() => void) | undefined;
  let stopped = false;

  const redraw = () => {
    const sorted = [...rows.values()].sort((a, b) => (a.object.metadata.namespace ?? "").localeCompare(b.object.metadata.namespace ?? "") || a.object.metadata.name.localeCompare(b.object.metadata.name));
    table?.set(sorted);
    status.textContent = `${sorted.length} ${sorted.length === 1 ? "item" : "items"} · live`;
  };

  const list = async (): Promise<string> => {
    const res = await ctx.api.json<Table>(path, { headers: { accept: TABLE_ACCEPT } });
    rows.clear();
    for (const r of res.rows) rows.set(r.object.metadata.uid, r);
    if (!table) {
      const cols = res.columnDefinitions.filter((c) => !c.priority);
      const index = cols.map((c) => res.columnDefinitions.indexOf(c));
      const showNs = t.namespaced && !ns;
      table = new VirtualTable<TableRow>(
        [...(showNs ? ["Namespace"] : []), ...cols.map((c) => c.name)],
        (r) => {
          const cells: (Node | string)[] = index.map((i) => String(r.cells[i] ?? ""));
          cells[0] = h("a", { href: objectHash(t, r.object.metadata.namespace, r.object.metadata.name) }, cells[0] as string);
          return showNs ? [r.object.metadata.namespace ?? "", ...cells] : cells;
        },
        (r) => r.object.metadata.uid,
      );
      main.append(table.el);
    }
    redraw();
    return res.metadata.resourceVersion;
  };

  list()
    .then((rv) => {
      if (stopped) return;
      stop = ctx.api.watch(
        path,
        rv,
        (e) => {
          for (const r of (e.object as Table).rows ?? []) {
            if (e.type === "DELETED") rows.delete(r.object.metadata.uid);
            else rows.set(r.object.metadata.uid, r);
          }
          redraw();
        },
        { accept: TABLE_ACCEPT, relist: list },
      );
    })
    .catch((err) => {
      status.textContent = err.message;
      status.className = "error";
    });
  return () => {
    stopped = true;
    stop?.();
  };
};
