// get and list, as JSON or as the Table kubectl asks for.
import { toTable } from "../../apis/index.ts";
import { badRequest } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { groupVersion } from "../../apis/registry.ts";
import { wantsTable } from "../content.ts";
import { buildSelector } from "../selectors.ts";
import type { HandlerContext } from "./context.ts";
import { respond, respondObject, servedJson } from "./context.ts";

type IncludeObject = "None" | "Metadata" | "Object";

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get("includeObject") ?? "Metadata";
  return v === "None" || v === "Object" ? v : "Metadata";
}

export function handleGet(h: HandlerContext): Response {
  const obj = h.deps.storage.get(h.r, h.info.namespace, h.info.name!);
  if (wantsTable(h.c.req.header("accept"))) {
    return respond(h, toTable(h.r, [obj], { now: h.deps.now(), includeObject: includeObject(h.query), resourceVersion: obj.metadata.resourceVersion }));
  }
  return respondObject(h, obj);
}

interface ContinueToken {
  rv: number;
  start: string;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof t.rv === "number" && typeof t.start === "string") return t;
  } catch {}
  throw badRequest("invalid continue token");
}

const encodeContinue = (t: ContinueToken) => Buffer.from(JSON.stringify(t)).toString("base64url");

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export function listObjects(h: HandlerContext): ListPage {
  const q = h.query;
  const select = buildSelector(h.r.kind, q.get("labelSelector") ?? undefined, q.get("fieldSelector") ?? undefined, h.r.custom?.selectableFields);
  const limitParam = q.get("limit");
  const limit = limitParam ? Number(limitParam) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${limitParam}`);
  const cont = q.get("continue");
  const t = cont ? decodeContinue(cont) : undefined;
  const revision = t?.rv;
  const { items: entries, revision: current } = h.deps.storage.list(h.r, h.info.namespace, { startAfter: t?.start, continueFrom: t?.rv });
  const items: KubeObject[] = [];
  let last = "";
  let i = 0;
  for (; i < entries.length; i++) {
    const e = entries[i]!;
    if (!select(e.object)) continue;
    if (limit && items.length === limit) break;
    items.push(e.object);
    last = e.key;
  }
  const more = limit > 0 && i < entries.length;
  const rv = revision ?? current;
  return {
    items,
    resourceVersion: String(rv),
    continue: more ? encodeContinue({ rv, start: last }) : undefined,
    remainingItemCount: more && !q.get("labelSelector") && !q.get("fieldSelector") ? entries.length - i : undefined,
  };
}

export function handleList(h: HandlerContext): Response {
  const page = listObjects(h);
  const metadata = { resourceVersion: page.resourceVersion, continue: page.continue, remainingItemCount: page.remainingItemCount };
  if (wantsTable(h.c.req.header("accept"))) {
    const table = toTable(h.r, page.items, {
      now: h.deps.now(),
      includeObject: includeObject(h.query),
      resourceVersion: page.resourceVersion,
      continue: page.continue,
    });
    return respond(h, table);
  }
  // Items are spliced in as their stored JSON text rather than serialised again.
  const head = JSON.stringify({ kind: h.r.listKind, apiVersion: groupVersion(h.r), metadata });
  return respond(h, `${head.slice(0, -1)},"items":[${page.items.map((o) => servedJson(h.r, o)).join(",")}]}`);
}
