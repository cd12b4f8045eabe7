// A pod's log: container picker, previous container, timestamps, follow (a streamed GET of
// pods/log?follow=true — the same call `kubectl logs -f` makes).
import { h } from "../dom.ts";
import type { Ctx } from "../context.ts";

export function logsPanel(ctx: Ctx, pod: any, panel: HTMLElement): () => void {
  const containers: string[] = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c: any) => c.name);
  const container = h("select", { id: "log-container" }, ...containers.map((c) => h("option", { value: c }, c)));
  container.value = pod.spec.containers[0].name;
  const follow = h("input", { type: "checkbox", id: "log-follow", checked: true });
  const previous = h("input", { type: "checkbox", id: "log-previous" });
  const timestamps = h("input", { type: "checkbox", id: "log-timestamps" });
  const out = h("pre", { class: "log", id: "log" });
  let stop: (() => void) | undefined;
  const start = () => {
    stop?.();
    out.textContent = "";
    const q = new URLSearchParams({ container: container.value });
    if (follow.checked && !previous.checked) q.set("follow", "true");
    if (previous.checked) q.set("previous", "true");
    if (timestamps.checked) q.set("timestamps", "true");
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log?${q}`;
    stop = ctx.api.stream(path, (text) => {
      const atEnd = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
      out.append(text);
      if (atEnd) out.scrollTop = out.scrollHeight;
    }, (err) => {
      if (err) out.append(h("span", { class: "error" }, `\n${err.message}\n`));
    });
  };
  for (const el of [container, follow, previous, timestamps]) el.addEventListener("change", start);
  panel.append(
    h("div", { class: "toolbar" }, "Container ", container, h("label", {}, follow, " follow"), h("label", {}, previous, " previous"), h("label", {}, timestamps, " timestamps")),
    out,
  );
  start();
  return () => stop?.();
}
