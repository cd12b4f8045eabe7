// The overview: nodes (Ready or not, capacity, allocatable and — when the metrics API is served —
// usage), pod counts by phase, and recent Warning events. Pods are listed once, in pages, keeping
// only each pod's phase; after that a watch moves the counts one event at a time, so a change
// never downloads every pod again.
import { age, clear, h } from "../dom.ts";
import type { Ctx, View } from "../context.ts";
import { objectHash } from "../objects.ts";

const PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

export const overviewView: View = (ctx, main) => {
  const ns = ctx.namespace();
  const nodesEl = h("table", { class: "grid", id: "nodes" });
  const podsEl = h("div", { class: "cards", id: "pod-phases" });
  const eventsEl = h("table", { class: "grid", id: "warnings" });
  clear(main, h("h2", {}, "Overview"), h("h3", {}, "Nodes"), nodesEl, h("h3", {}, "Pods", ns ? ` in ${ns}` : ""), podsEl, h("h3", {}, "Recent warnings"), eventsEl);
  const stops: (() => void)[] = [];
  const nodeType = ctx.catalog.find("nodes");
  const podType = ctx.catalog.find("pods");
  const usage = new Map<string, { cpu: string; memory: string }>();

  // Nodes
  const nodes = new Map<string, any>();
  const drawNodes = () => {
    const rows = [...nodes.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    nodesEl.replaceChildren(
      h("tr", {}, ...["Name", "Status", "CPU (alloc / cap)", "Memory (alloc / cap)", "Usage", "Pods", "Age"].map((c) => h("th", {}, c))),
      ...rows.map((n) => {
        const ready = (n.status?.conditions ?? []).find((c: any) => c.type === "Ready")?.status === "True";
        const u = usage.get(n.metadata.name);
        return h("tr", { "data-node": n.metadata.name },
          h("td", {}, nodeType ? h("a", { href: objectHash(nodeType, undefined, n.metadata.name) }, n.metadata.name) : n.metadata.name),
          h("td", { class: ready ? "ok" : "error" }, ready ? "Ready" : "NotReady", n.spec?.unschedulable ? ",SchedulingDisabled" : ""),
          h("td", {}, `${n.status?.allocatable?.cpu ?? "?"} / ${n.status?.capacity?.cpu ?? "?"}`),
          h("td", {}, `${n.status?.allocatable?.memory ?? "?"} / ${n.status?.capacity?.memory ?? "?"}`),
          h("td", {}, u ? `cpu ${u.cpu}, memory ${u.memory}` : "—"),
          h("td", {}, n.status?.allocatable?.pods ?? ""),
          h("td", {}, age(n.metadata.creationTimestamp)));
      }),
    );
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
    .catch((err) => nodesEl.replaceChildren(h("tr", {}, h("td", { class: "error" }, err.message))));
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
