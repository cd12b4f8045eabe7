// Edit an object as YAML. Saving sends a PUT carrying the resourceVersion the user started from,
// so a change made by someone else in the meantime comes back as the server's 409 Conflict —
// shown, never overwritten.
import YAML from "yaml";
import { h } from "../dom.ts";
import type { Ctx } from "../context.ts";
import { withoutManagedFields } from "../objects.ts";

export function editorPanel(ctx: Ctx, panel: HTMLElement, opts: { path: string; object: any; onDone: () => void }): void {
  const text = h("textarea", { id: "editor", spellcheck: "false", rows: 30 });
  text.value = YAML.stringify(withoutManagedFields(opts.object));
  const result = h("p", { id: "editor-result", class: "message" });
  const save = async () => {
    let body: any;
    try {
      body = YAML.parse(text.value);
    } catch (err) {
      result.className = "message error";
      result.textContent = `Not valid YAML: ${(err as Error).message}`;
      return;
    }
    try {
      await ctx.api.send("PUT", opts.path, body);
      result.className = "message ok";
      result.textContent = "Saved.";
      opts.onDone();
    } catch (err) {
      result.className = "message error";
      result.textContent = (err as Error).message;
    }
  };
  panel.append(h("p", { class: "muted" }, `Saving updates the object from resourceVersion ${opts.object.metadata.resourceVersion}; if it changed since, the server refuses with a conflict.`), text, h("div", {}, h("button", { id: "save", onclick: save }, "Save")), result);
}
