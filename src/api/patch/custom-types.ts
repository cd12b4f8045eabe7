// Server-side apply's merge rules for custom resources, read from their CRD schema as
// structured-merge-diff reads them: `x-kubernetes-list-type: map` lists merge item by item on
// their `x-kubernetes-list-map-keys`, `set` lists merge as sets, other lists are atomic;
// `x-kubernetes-map-type: atomic` objects are owned whole. merge-keys.ts consults these beside
// the built-in kinds' rules (built-in kinds win a clash of kind names).

/** merge-keys.ts's FieldStrategy (spelled out here: merge-keys.ts imports this file). */
interface FieldStrategy {
  strategy?: "merge";
  mergeKey?: string;
  listMapKeys?: readonly string[];
  type?: string;
  atomic?: boolean;
}

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: string;
}

const types = new Map<string, Record<string, FieldStrategy>>();
const roots = new Map<string, string>();

function define(name: string, s: Schema): void {
  const fields: Record<string, FieldStrategy> = {};
  for (const [p, child] of Object.entries(s.properties ?? {})) {
    const childName = `${name}.${p}`;
    if (child.type === "array") {
      const item = child.items;
      const itemType = item?.properties ? `${childName}[]` : undefined;
      if (itemType) define(itemType, item!);
      const keys = child["x-kubernetes-list-map-keys"];
      if (child["x-kubernetes-list-type"] === "map" && keys?.length) fields[p] = { strategy: "merge", mergeKey: keys[0], listMapKeys: keys, type: itemType };
      else if (child["x-kubernetes-list-type"] === "set") fields[p] = { strategy: "merge" };
      else fields[p] = {};
    } else if (child.properties) {
      define(childName, child);
      fields[p] = { type: childName, atomic: child["x-kubernetes-map-type"] === "atomic" || undefined };
    } else if (child["x-kubernetes-map-type"] === "atomic") fields[p] = { atomic: true };
  }
  types.set(name, fields);
}

/** Sets (or, without a schema, clears) the merge rules of a custom kind. */
export function setCustomKindSchema(kind: string, schema: Schema | undefined): void {
  const root = `custom:${kind}`;
  for (const k of [...types.keys()]) if (k === root || k.startsWith(`${root}.`)) types.delete(k);
  roots.delete(kind);
  if (!schema) return;
  define(root, schema);
  types.get(root)!.metadata = { type: "ObjectMeta" };
  roots.set(kind, root);
}

export const customRoot = (kind: string): string | undefined => roots.get(kind);
export const customField = (type: string, name: string): FieldStrategy | undefined => types.get(type)?.[name];
