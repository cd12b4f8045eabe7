// The order of a merged list, as strategicpatch's normalizeElementOrder decides it: items named
// by the patch (or by its $setElementOrder list) keep the patch's order; items only the server
// had keep the server's relative order and are interleaved among them by their position in the
// live list. Consequently an item the live list lacks lands before the server-only items that
// follow it, e.g. live [a, b] patched with [c] gives [c, a, b] (kustomize calls this prepend).

export type Identity = (item: unknown) => unknown;

/**
 * Orders `merged` (the merged items, each present once) by `order` for the items it names and
 * by `serverOrder` (the live list) for the rest.
 */
export function orderMergedList(merged: unknown[], order: unknown[], serverOrder: unknown[], id: Identity): unknown[] {
  const orderIndex = indexBy(order, id);
  const serverIndex = indexBy(serverOrder, id);
  const position = (index: Map<unknown, number>) => (item: unknown) => index.get(id(item)) ?? Number.POSITIVE_INFINITY;

  const byPatch = position(orderIndex);
  const byServer = position(serverIndex);
  const patchItems = merged.filter((item) => orderIndex.has(id(item))).sort((a, b) => byPatch(a) - byPatch(b));
  const serverOnly = merged.filter((item) => !orderIndex.has(id(item))).sort((a, b) => byServer(a) - byServer(b));

  // Walk both lists; a server-only item goes first only when both it and the next patch item are
  // in the live list and it came earlier there.
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(patchItems[j++]);
    else {
      const left = serverIndex.get(id(serverOnly[i]));
      const right = serverIndex.get(id(patchItems[j]));
      if (left !== undefined && right !== undefined && left < right) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}

function indexBy(list: unknown[], id: Identity): Map<unknown, number> {
  const index = new Map<unknown, number>();
  list.forEach((item, i) => {
    const key = id(item);
    if (!index.has(key)) index.set(key, i);
  });
  return index;
}
