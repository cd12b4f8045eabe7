// The overview: nodes (Ready or not, capacity, allocatable and — when the metrics API is served —
// usage), pod counts by phase, and recent Warning events. Pods are listed once, in pages, keeping
// only each pod's phase; after that a watch moves the counts one event at a time, so a change
// never downloads every pod again.
import { age, clear, h } from "../dom.ts";
import type { Ctx, View } from "../context.ts";
import { objectHash } from "../objects.ts";
import { VirtualTable } from "../vlist.ts";

const isReady = (n: any) => (n.status?.conditions ?? []).find((c: any) => c.type === "Ready")?.status === "True";

/** A memory quantity the way people read it: 23.5Gi rather than 24683772Ki. */
export function memory(q: string | undefined): string {
  if (!q) return "?";
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return q;
  const scale: Record<string, number> = { "": 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  const bytes = Number(m[1]) * scale[m[2] ?? ""]!;
  for (const [unit, size] of [["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
  }
  return String(bytes);
}

const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

export const overviewView: View = (ctx, main) => {
  const ns = ctx.namespace();
  const nodesEl = h("div");
  const nodeCounts = h("div", { class: "cards", id: "node-counts" });
  const podsEl = h("div", { class: "cards", id: "pod-phases" });
  const eventsEl = h("table", { class: "grid", id: "warnings" });
  clear(main, h("h2", {}, "Overview"), h("h3", {}, "Nodes"), nodeCounts, nodesEl, h("h3", {}, "Pods", ns ? ` in ${ns}` : ""), podsEl, h("h3", {}, "Recent warnings"), eventsEl);
  const stops: (() => void)[] = [];
  const nodeType = ctx.catalog.find("nodes");
  const podType = ctx.catalog.find("pods");
  const usage = new Map<string, { cpu: string; memory: string }>();

  // Nodes: counts, then a virtualised table (5,000 nodes scroll like five).
  const nodes = new Map<string, any>();
  const nodeTable = new VirtualTable<any>(
    ["Name", "Status", "CPU (alloc / cap)", "Memory (alloc / cap)", "Usage", "Pods", "Age"],
    (n) => {
      const ready = isReady(n);
      const u = usage.get(n.metadata.name);
      return [
        nodeType ? h("a", { href: objectHash(nodeType, undefined, n.metadata.name) }, n.metadata.name) : n.metadata.name,
        h("span", { class: ready ? "ok" : "error" }, ready ? "Ready" : "NotReady", n.spec?.unschedulable ? ",SchedulingDisabled" : ""),
        `${n.status?.allocatable?.cpu ?? "?"} / ${n.status?.capacity?.cpu ?? "?"}`,
        `${memory(n.status?.allocatable?.memory)} / ${memory(n.status?.capacity?.memory)}`,
        u ? `cpu ${u.cpu}, memory ${memory(u.memory)}` : "—",
        n.status?.allocatable?.pods ?? "",
        age(n.metadata.creationTimestamp),
      ];
    },
    (n) => n.metadata.name,
    { id: "nodes", maxRows: 8 },
  );
  nodesEl.replaceWith(nodeTable.el);
  const drawNodes = () => {
    const rows = [...nodes.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const ready = rows.filter(isReady).length;
    nodeCounts.replaceChildren(
      h("div", { class: "card", "data-nodes": "ready" }, h("strong", {}, String(ready)), h("span", {}, "Ready")),
      h("div", { class: "card", "data-nodes": "notready" }, h("strong", {}, String(rows.length - ready)), h("span", {}, "NotReady")),
    );
    nodeTable.set(rows);
  };
  const listNodes = async () => {
    const res = await ctx.api.json("/api/v1/nodes");
    nodes.clear();
    for (const n of res.items) nodes.set(n.metadata.name, n);
    drawNodes();
    return res.metadata.resourceVersion as string;
  };
  listNodes()
    .then((rv) => stops.push(ctx.api.watch("/api/v1/nodes", rv, (e) => {
      if (e.type === "DELETED") nodes.delete(e.object.metadata.name);
      else nodes.set(e.object.metadata.name, e.object);
      drawNodes();
    }, { relist: listNodes })))
    .catch((err) => nodeCounts.replaceChildren(h("p", { class: "error" }, err.message)));
  if (ctx.catalog.find("nodes", "metrics.k8s.io")) {
    ctx.api.json("/apis/metrics.k8s.io/v1beta1/nodes").then((res) => {
      for (const m of res.items) usage.set(m.metadata.name, m.usage);
      drawNodes();
    }).catch(() => {});
  }

  // Pods by phase
  const phases = new Map<string, string>();
  const drawPods = () => {
    const counts = new Map<string, number>();
    for (const p of phases.values()) counts.set(p, (counts.get(p) ?? 0) + 1);
    podsEl.replaceChildren(...PHASES.map((p) => h("div", { class: `card phase-${p}`, "data-phase": p }, h("strong", {}, String(counts.get(p) ?? 0)), h("span", {}, p))));
  };
  const podsPath = podType ? (ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/pods` : "/api/v1/pods") : undefined;
  const listPods = async () => {
    phases.clear();
    let cont = "";
    let rv = "";
    do {
      const res = await ctx.api.json(`${podsPath}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
      for (const p of res.items) phases.set(p.metadata.uid, p.status?.phase ?? "Unknown");
      cont = res.metadata.continue ?? "";
      rv = res.metadata.resourceVersion;
    } while (cont);
    drawPods();
    return rv;
  };
  if (podsPath) {
    listPods()
      .then((rv) => stops.push(ctx.api.watch(podsPath, rv, (e) => {
        if (e.type === "DELETED") phases.delete(e.object.metadata.uid);
        else phases.set(e.object.metadata.uid, e.object.status?.phase ?? "Unknown");
        drawPods();
      }, { relist: listPods })))
      .catch((err) => podsEl.replaceChildren(h("p", { class: "error" }, err.message)));
  }

  // Warning events, newest first
  const warnings = new Map<string, any>();
  const eventsPath = `${ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}` : "/api/v1"}/events?fieldSelector=type%3DWarning`;
  const drawEvents = () => {
    const when = (e: any) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp);
    const rows = [...warnings.values()].sort((a, b) => when(b) - when(a)).slice(0, 20);
    eventsEl.replaceChildren(
      h("tr", {}, ...["Age", "Object", "Reason", "Message"].map((c) => h("th", {}, c))),
      ...rows.map((e) => {
        const t = ctx.catalog.byKind(e.involvedObject.apiVersion ?? "v1", e.involvedObject.kind);
        const label = `${e.involvedObject.kind}/${e.involvedObject.name}`;
        return h("tr", {}, h("td", {}, age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp)), h("td", {}, t ? h("a", { href: objectHash(t, e.involvedObject.namespace, e.involvedObject.name) }, label) : label), h("td", {}, e.reason), h("td", {}, e.message ?? ""));
      }),
    );
  };
  const listEvents = async () => {
    const res = await ctx.api.json(eventsPath);
    warnings.clear();
    for (const e of res.items) warnings.set(e.metadata.uid, e);
    drawEvents();
    return res.metadata.resourceVersion as string;
  };
  listEvents()
    .then((rv) => stops.push(ctx.api.watch(eventsPath, rv, (e) => {
      if (e.type === "DELETED") warnings.delete(e.object.metadata.uid);
      else warnings.set(e.object.metadata.uid, e.object);
      drawEvents();
    }, { relist: listEvents })))
    .catch((err) => eventsEl.replaceChildren(h("tr", {}, h("td", { class: "error" }, err.message))));
  return () => {
    for (const s of stops) s();
  };
};
