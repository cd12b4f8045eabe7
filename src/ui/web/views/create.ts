// Create objects from YAML (several documents separated by ---), each POSTed to the collection
// its apiVersion and kind name, as `kubectl create -f` does.
import YAML from "yaml";
import { collectionPath } from "../catalog.ts";
import { clear, h } from "../dom.ts";
import type { View } from "../context.ts";
import { objectHash } from "../objects.ts";

export const createView: View = (ctx, main) => {
  const text = h("textarea", { id: "create-yaml", spellcheck: "false", rows: 24, placeholder: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: example\ndata:\n  key: value" });
  const results = h("ul", { id: "create-results" });
  const create = async () => {
    results.replaceChildren();
    let docs: any[];
    try {
      docs = YAML.parseAllDocuments(text.value).map((d) => d.toJS()).filter(Boolean);
    } catch (err) {
      results.append(h("li", { class: "error" }, `Not valid YAML: ${(err as Error).message}`));
      return;
    }
    for (const doc of docs) {
      const t = ctx.catalog.byKind(doc.apiVersion, doc.kind);
      if (!t || t.apiVersion !== doc.apiVersion) {
        results.append(h("li", { class: "error" }, `no matches for kind "${doc.kind}" in version "${doc.apiVersion}"`));
        continue;
      }
      const ns = t.namespaced ? doc.metadata?.namespace || ctx.namespace() || "default" : undefined;
      try {
        const made = await ctx.api.send("POST", collectionPath(t, ns), doc);
        results.append(h("li", { class: "ok" }, h("a", { href: objectHash(t, ns, made.metadata.name) }, `${t.resource}/${made.metadata.name}`), " created"));
      } catch (err) {
        results.append(h("li", { class: "error" }, `${doc.kind}/${doc.metadata?.name ?? "?"}: ${(err as Error).message}`));
      }
    }
  };
  clear(main, h("h2", {}, "Create from YAML"), text, h("div", {}, h("button", { id: "create", onclick: create }, "Create")), results);
};
