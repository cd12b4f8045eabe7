// One object's page: what it is (labels, owner, conditions, owned objects as links), what
// happened to it (its events), its YAML, its history, and what may be done to it (scale, restart,
// delete, edit). Everything on the page is kept live by a watch on the object and its events.
// Pods add logs and an exec terminal; a Pending pod adds why it is Pending.
import YAML from "yaml";
import { objectPath, collectionPath, type ResourceType } from "../catalog.ts";
import { age, append, clear, h } from "../dom.ts";
import type { Ctx, View } from "../context.ts";
import { findType, objectHash, withoutManagedFields } from "../objects.ts";
import { editorPanel } from "./editor.ts";
import { eventsPanel } from "./events.ts";
import { historyPanel } from "./history.ts";
import { logsPanel } from "./logs.ts";
import { execPanel } from "./exec.ts";
import { pendingPanel } from "./pending.ts";

/** Kinds whose objects another kind's controller makes, looked for as "owned" on a page. */
const OWNED_KINDS = ["replicasets", "pods", "jobs", "controllerrevisions", "persistentvolumeclaims", "endpointslices"];
const RESTARTABLE = new Set(["deployments", "statefulsets", "daemonsets"]);

export const detailView: View = (ctx, main, [group = "core", version = "v1", resource = "", nsParam = "_", name = ""]) => {
  const t = findType(ctx, group, version, resource);
  const ns = nsParam === "_" ? undefined : nsParam;
  const path = objectPath(t, ns, name);
  const tabs = h("div", { class: "tabs" });
  const panel = h("section", { class: "panel" });
  const message = h("p", { class: "message", id: "action-message" });
  const header = h("div", { class: "objhead" });
  clear(main, header, message, tabs, panel);

  let obj: any;
  let current = "summary";
  let panelCleanup: (() => void) | void;
  const stops: (() => void)[] = [];
  const show = (tab: string) => {
    current = tab;
    if (typeof panelCleanup === "function") panelCleanup();
    panelCleanup = undefined;
    for (const b of tabs.querySelectorAll("button")) b.classList.toggle("active", b.getAttribute("data-tab") === tab);
    clear(panel);
    const render: Record<string, () => (() => void) | void> = {
      summary: () => summary(ctx, t, obj, panel),
      events: () => eventsPanel(ctx, obj, panel),
      yaml: () => void panel.append(h("pre", { class: "yaml", id: "yaml" }, YAML.stringify(withoutManagedFields(obj)))),
      edit: () => editorPanel(ctx, panel, { path, object: obj, onDone: () => show("yaml") }),
      history: () => historyPanel(ctx, t, obj, panel),
      logs: () => logsPanel(ctx, obj, panel),
      exec: () => execPanel(ctx, obj, panel),
      pending: () => pendingPanel(ctx, obj, panel),
    };
    panelCleanup = render[tab]?.();
  };
  const tabNames = () => {
    const names = ["summary", "events", "yaml", "edit", "history"];
    if (t.resource === "pods") names.push("logs", "exec");
    if (t.resource === "pods" && obj?.status?.phase === "Pending" && !obj.spec?.nodeName) names.push("pending");
    return names;
  };
  const renderHeader = () => {
    const actions = h("div", { class: "actions" });
    if (t.subresources.includes("scale")) {
      const replicas = h("input", { type: "number", min: 0, id: "scale-replicas", value: obj.spec?.replicas ?? 0 });
      actions.append(replicas, h("button", { id: "scale", onclick: () => act(`Scaled to ${replicas.value}`, () => ctx.api.send("PATCH", `${path}/scale`, { spec: { replicas: Number(replicas.value) } }, "application/merge-patch+json")) }, "Scale"));
    }
    if (RESTARTABLE.has(t.resource)) {
      actions.append(h("button", { id: "restart", onclick: () => act("Restart requested", () => ctx.api.send("PATCH", path, { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() } } } } }, "application/merge-patch+json")) }, "Rollout restart"));
    }
    const propagation = h("select", { id: "propagation", title: "propagation policy" }, ...["Background", "Foreground", "Orphan"].map((p) => h("option", { value: p }, p)));
    actions.append(
      propagation,
      h("button", {
        id: "delete",
        class: "danger",
        onclick: () => {
          if (!confirm(`Delete ${t.kind} ${name}?`)) return;
          void act(`Deleted (${propagation.value})`, () => ctx.api.send("DELETE", path, { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: propagation.value }));
        },
      }, "Delete"),
    );
    clear(header, h("h2", {}, h("small", {}, t.kind, " "), name, ns ? h("small", {}, ` in ${ns}`) : null), actions);
    clear(tabs, ...tabNames().map((n) => h("button", { "data-tab": n, class: n === current ? "active" : "", onclick: () => show(n) }, n[0]!.toUpperCase() + n.slice(1))));
  };
  const act = async (done: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      message.className = "message ok";
      message.textContent = done;
    } catch (err) {
      message.className = "message error";
      message.textContent = (err as Error).message;
    }
  };

  const load = async () => {
    obj = await ctx.api.json(path);
    renderHeader();
    show(current);
    return obj.metadata.resourceVersion as string;
  };
  load()
    .then((rv) => {
      // A watch on the collection narrowed to this name: the page follows the object live.
      stops.push(
        ctx.api.watch(`${collectionPath(t, ns)}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`, rv, (e) => {
          if (e.type === "DELETED") {
            message.className = "message error";
            message.textContent = `This ${t.kind} was deleted.`;
            return;
          }
          obj = e.object;
          renderHeader();
          // The edit tab keeps what the user is typing; every other tab follows the object.
          if (current !== "edit" && current !== "logs" && current !== "exec") show(current);
        }, { relist: load }),
      );
    })
    .catch((err) => clear(main, h("p", { class: "error", id: "load-error" }, err.message)));
  return () => {
    for (const s of stops) s();
    if (typeof panelCleanup === "function") panelCleanup();
  };
};

function summary(ctx: Ctx, t: ResourceType, obj: any, panel: HTMLElement): void {
  const m = obj.metadata;
  const kv = (o: Record<string, string> | undefined) => (o && Object.keys(o).length ? h("ul", { class: "kv" }, ...Object.entries(o).map(([k, v]) => h("li", {}, h("code", {}, `${k}=${v}`)))) : "—");
  const owners = (m.ownerReferences ?? []).map((o: any) => {
    const ot = ctx.catalog.byKind(o.apiVersion, o.kind);
    return ot ? h("a", { href: objectHash(ot, m.namespace, o.name), class: "owner" }, `${o.kind}/${o.name}`) : `${o.kind}/${o.name}`;
  });
  const conditions = obj.status?.conditions as any[] | undefined;
  append(panel, [
    h("table", { class: "props" },
      h("tr", {}, h("th", {}, "Created"), h("td", {}, `${m.creationTimestamp} (${age(m.creationTimestamp)} ago)`)),
      h("tr", {}, h("th", {}, "UID"), h("td", {}, m.uid)),
      h("tr", {}, h("th", {}, "Resource version"), h("td", {}, m.resourceVersion)),
      h("tr", {}, h("th", {}, "Labels"), h("td", {}, kv(m.labels))),
      h("tr", {}, h("th", {}, "Annotations"), h("td", {}, kv(m.annotations))),
      h("tr", {}, h("th", {}, "Owners"), h("td", {}, owners.length ? owners : "—")),
      obj.status?.phase ? h("tr", {}, h("th", {}, "Phase"), h("td", { id: "phase" }, obj.status.phase)) : null,
    ),
    conditions?.length
      ? h("div", {}, h("h3", {}, "Conditions"), h("table", { class: "grid", id: "conditions" },
          h("tr", {}, ...["Type", "Status", "Reason", "Message", "Last transition"].map((c) => h("th", {}, c))),
          ...conditions.map((c) => h("tr", {}, h("td", {}, c.type), h("td", {}, c.status), h("td", {}, c.reason ?? ""), h("td", {}, c.message ?? ""), h("td", {}, c.lastTransitionTime ? `${age(c.lastTransitionTime)} ago` : "")))))
      : null,
  ]);
  const owned = h("div", { id: "owned" });
  panel.append(owned);
  if (!m.namespace) return;
  // Owned objects: the kinds controllers make, in this namespace, whose ownerReferences name this uid.
  void Promise.all(
    OWNED_KINDS.map((r) => ctx.catalog.find(r)).filter((x): x is ResourceType => !!x && x.namespaced).map(async (ot) => {
      const list = await ctx.api.json(collectionPath(ot, m.namespace)).catch(() => ({ items: [] }));
      return (list.items as any[]).filter((o) => (o.metadata.ownerReferences ?? []).some((r: any) => r.uid === m.uid)).map((o) => ({ ot, o }));
    }),
  ).then((groups) => {
    const found = groups.flat();
    if (!found.length) return;
    owned.append(h("h3", {}, "Owns"), h("ul", {}, ...found.map(({ ot, o }) => h("li", {}, h("a", { href: objectHash(ot, o.metadata.namespace, o.metadata.name), class: "owned" }, `${ot.kind}/${o.metadata.name}`), o.status?.phase ? ` (${o.status.phase})` : ""))));
  });
}
