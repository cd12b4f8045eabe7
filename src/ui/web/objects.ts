// Finding a kind and linking to an object's page, shared by the views.
import type { ResourceType } from "./catalog.ts";
import type { Ctx } from "./context.ts";

export function findType(ctx: Ctx, group: string, version: string, resource: string): ResourceType {
  const t = ctx.catalog.types.find((x) => x.group === (group === "core" ? "" : group) && x.resource === resource) ?? ctx.catalog.find(resource);
  if (!t) throw new Error(`the server doesn't serve ${resource} in ${group}/${version}`);
  return t;
}

export const objectHash = (t: ResourceType, namespace: string | undefined, name: string) => `#/o/${t.group || "core"}/${t.version}/${t.resource}/${namespace || "_"}/${encodeURIComponent(name)}`;

export function withoutManagedFields(obj: any): any {
  if (!obj?.metadata?.managedFields) return obj;
  const { managedFields: _, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}
