// The REST operations kubun serves, derived from the resource registry in kube-apiserver's
// shape (paths, operation ids, x-kubernetes-action). Format-neutral: v3.ts and v2.ts render it.
import { allResources, groupVersion, type ResourceInfo, type SubresourceInfo } from "../../apis/registry.ts";
import { definitionFor, type GroupVersionKind } from "./definitions.ts";
import * as p from "./parameters.ts";
import type { Parameter } from "./parameters.ts";

export type Method = "get" | "put" | "post" | "patch" | "delete";
export type Action = "get" | "list" | "post" | "put" | "patch" | "delete" | "deletecollection" | "watch" | "watchlist" | "connect";

export interface Operation {
  method: Method;
  operationId: string;
  description: string;
  action: Action;
  gvk: GroupVersionKind;
  parameters: Parameter[];
  /** the definition of the request body and its accepted media types */
  body?: { definition: string; contentTypes: string[] };
  /** status code → response definition, or "text" for a plain-text body */
  responses: Record<number, string>;
  /** media types the responses come in */
  produces: string[];
  tag: string;
}

export interface PathItem {
  path: string;
  parameters: Parameter[];
  operations: Operation[];
}

export const PATCH_CONTENT_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
];
const OBJECT_MEDIA = ["application/json", "application/yaml"];
const WATCH_MEDIA = ["application/json", "application/yaml", "application/json;stream=watch"];

const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
export const TEXT = "text";

/** Every group-version kubun serves, including autoscaling/v1 for the scale subresource. */
export function servedGroupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of allResources()) {
    seen.set(groupVersion(r), { group: r.group, version: r.version });
    for (const s of r.subresources) {
      if (s.group !== undefined && s.version) seen.set(groupVersion({ group: s.group, version: s.version }), { group: s.group, version: s.version });
    }
  }
  // Core first, then groups by name, as in kube's index.
  const key = (gv: { group: string; version: string }) => (gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`);
  return [...seen.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/** "coordination.k8s.io", "v1" → "CoordinationV1"; "" → "CoreV1", as in kube's operation ids. */
function groupId(group: string, version: string): string {
  const words = group ? group.replace(/\.k8s\.io$/, "").split(".") : ["core"];
  const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  return words.map(cap).join("") + cap(version);
}

const tagOf = (group: string, version: string) => `${group ? group.replace(/\.k8s\.io$/, "").replace(/\./g, "_") : "core"}_${version}`;

const must = (definition: string | undefined, what: string): string => {
  if (!definition) throw new Error(`no schema for ${what}; regenerate definitions.json (bun scripts/gen-openapi-schemas.ts)`);
  return definition;
};

const STATUS = `${META}.Status`;
const DELETE_OPTIONS = `${META}.DeleteOptions`;
const WATCH_EVENT = `${META}.WatchEvent`;
const PATCH = `${META}.Patch`;
const OBJECT_BODY = ["application/json", "application/yaml"];

/** Builds the operations of one resource (or subresource) from its kind's definitions. */
function operationsOf(r: ResourceInfo, gvk: GroupVersionKind, def: string, suffix = "") {
  const id = groupId(r.group, r.version);
  const ns = r.namespaced ? "Namespaced" : "";
  const kind = `${r.kind}${suffix}`;
  const what = suffix ? `${suffix.toLowerCase()} of the specified ${r.kind}` : `the specified ${r.kind}`;
  const base = { gvk, tag: tagOf(r.group, r.version), produces: OBJECT_MEDIA };
  const listDef = () => must(definitionFor(r.group, r.version, r.listKind), r.listKind);
  const watchOp = (operationId: string, action: Action, description: string): Operation => ({
    ...base,
    method: "get",
    operationId,
    description,
    action,
    parameters: p.listParameters,
    responses: { 200: WATCH_EVENT },
    produces: WATCH_MEDIA,
  });
  return {
    list: (forAllNamespaces = false): Operation => ({
      ...base,
      method: "get",
      operationId: forAllNamespaces ? `list${id}${r.kind}ForAllNamespaces` : `list${id}${ns}${r.kind}`,
      description: `list or watch objects of kind ${r.kind}`,
      action: "list",
      parameters: p.listParameters,
      responses: { 200: listDef() },
      produces: WATCH_MEDIA,
    }),
    create: (): Operation => ({
      ...base,
      method: "post",
      operationId: `create${id}${ns}${kind}`,
      description: suffix ? `create ${what}` : `create a ${r.kind}`,
      action: "post",
      parameters: p.writeParameters,
      body: { definition: def, contentTypes: OBJECT_BODY },
      responses: { 200: def, 201: def, 202: def },
    }),
    deleteCollection: (): Operation => ({
      ...base,
      method: "delete",
      operationId: `deletecollection${id}${ns}${r.kind}`,
      description: `delete collection of ${r.kind}`,
      action: "deletecollection",
      parameters: p.deleteCollectionParameters,
      body: { definition: DELETE_OPTIONS, contentTypes: ["application/json"] },
      responses: { 200: STATUS },
    }),
    read: (): Operation => ({
      ...base,
      method: "get",
      operationId: `read${id}${ns}${kind}`,
      description: `read ${what}`,
      action: "get",
      parameters: [],
      responses: { 200: def },
    }),
    replace: (): Operation => ({
      ...base,
      method: "put",
      operationId: `replace${id}${ns}${kind}`,
      description: `replace ${what}`,
      action: "put",
      parameters: p.writeParameters,
      body: { definition: def, contentTypes: OBJECT_BODY },
      responses: { 200: def, 201: def },
    }),
    patch: (): Operation => ({
      ...base,
      method: "patch",
      operationId: `patch${id}${ns}${kind}`,
      description: `partially update ${what}`,
      action: "patch",
      parameters: p.patchParameters,
      body: { definition: PATCH, contentTypes: PATCH_CONTENT_TYPES },
      responses: { 200: def, 201: def },
    }),
    // kube-apiserver answers a Pod delete with the Pod (graceful deletion), others with a Status.
    delete: (): Operation => ({
      ...base,
      method: "delete",
      operationId: `delete${id}${ns}${r.kind}`,
      description: `delete a ${r.kind}`,
      action: "delete",
      parameters: p.deleteParameters,
      body: { definition: DELETE_OPTIONS, contentTypes: ["application/json"] },
      responses: r.kind === "Pod" ? { 200: def, 202: def } : { 200: STATUS, 202: STATUS },
    }),
    log: (): Operation => ({
      ...base,
      method: "get",
      operationId: `read${id}${ns}${r.kind}Log`,
      description: `read log of the specified ${r.kind}`,
      action: "get",
      parameters: p.logParameters,
      responses: { 200: TEXT },
      produces: ["text/plain"],
    }),
    watchList: (forAllNamespaces = false): Operation =>
      watchOp(
        forAllNamespaces ? `watch${id}${r.kind}ListForAllNamespaces` : `watch${id}${ns}${r.kind}List`,
        "watchlist",
        `watch individual changes to a list of ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead.`,
      ),
    watch: (): Operation =>
      watchOp(
        `watch${id}${ns}${r.kind}`,
        "watch",
        `watch changes to an object of kind ${r.kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
      ),
  };
}

/** The paths and operations of one resource, as kube-apiserver lays them out. */
function resourcePaths(r: ResourceInfo): PathItem[] {
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const ops = operationsOf(r, gvk, must(definitionFor(r.group, r.version, r.kind), r.kind));
  const can = (verb: string) => r.verbs.includes(verb);
  const nsParams = r.namespaced ? [p.namespace] : [];
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}` : `${prefix}/${r.resource}`;
  const watchCollection = r.namespaced ? `${prefix}/watch/namespaces/{namespace}/${r.resource}` : `${prefix}/watch/${r.resource}`;
  const item = `${collection}/{name}`;
  const itemParams = [p.name(r.kind), ...nsParams, p.pretty];

  const paths: PathItem[] = [];
  const add = (path: string, parameters: Parameter[], operations: (Operation | false)[]) => {
    const present = operations.filter((o): o is Operation => o !== false);
    if (present.length) paths.push({ path, parameters, operations: present });
  };
  add(collection, [...nsParams, p.pretty], [can("list") && ops.list(), can("create") && ops.create(), can("deletecollection") && ops.deleteCollection()]);
  add(item, itemParams, [can("get") && ops.read(), can("update") && ops.replace(), can("patch") && ops.patch(), can("delete") && ops.delete()]);
  if (r.namespaced) add(`${prefix}/${r.resource}`, [p.pretty], [can("list") && ops.list(true)]);
  add(watchCollection, [...nsParams, p.pretty], [can("watch") && ops.watchList()]);
  add(`${watchCollection}/{name}`, itemParams, [can("watch") && ops.watch()]);
  if (r.namespaced) add(`${prefix}/watch/${r.resource}`, [p.pretty], [can("watch") && ops.watchList(true)]);
  for (const s of r.subresources) add(`${item}/${s.name}`, itemParams, subresourceOperations(r, s));
  return paths;
}

function subresourceOperations(r: ResourceInfo, s: SubresourceInfo): Operation[] {
  if (s.name in p.connectParameters) return connectOperations(r, s);
  const gvk = { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind };
  const def = must(definitionFor(gvk.group, gvk.version, gvk.kind), `${r.resource}/${s.name}`);
  const ops = operationsOf(r, gvk, def, s.name.charAt(0).toUpperCase() + s.name.slice(1));
  if (s.name === "log") return [ops.log()];
  const byVerb: [string, () => Operation][] = [["get", ops.read], ["update", ops.replace], ["patch", ops.patch], ["create", ops.create]];
  return byVerb.filter(([verb]) => s.verbs.includes(verb)).map(([, build]) => build());
}

/**
 * exec, attach, portforward: streams, not objects. kube-apiserver documents them as "connect"
 * operations (GET and POST) whose options are query parameters and whose answer is a string.
 */
function connectOperations(r: ResourceInfo, s: SubresourceInfo): Operation[] {
  const id = groupId(r.group, r.version);
  const ns = r.namespaced ? "Namespaced" : "";
  const suffix = { exec: "Exec", attach: "Attach", portforward: "Portforward" }[s.name] ?? s.name;
  return (["get", "post"] as const).map((method) => ({
    method,
    operationId: `connect${id}${method === "get" ? "Get" : "Post"}${ns}${r.kind}${suffix}`,
    description: `connect ${method.toUpperCase()} requests to ${s.name} of ${r.kind}`,
    action: "connect",
    gvk: { group: r.group, version: r.version, kind: s.kind },
    parameters: p.connectParameters[s.name]!,
    responses: { 200: TEXT },
    produces: ["*/*"],
    tag: tagOf(r.group, r.version),
  }));
}

/** The paths of every resource served under a group-version, sorted by path. */
export function groupVersionPaths(group: string, version: string): PathItem[] {
  return allResources().filter((r) => r.group === group && r.version === version)
    .flatMap(resourcePaths)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
