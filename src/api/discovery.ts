// Classic discovery documents: /api, /apis, /api/v1, /apis/{group}/{version}, /version.
import { allResources, groupVersion, resourcesIn, type ResourceInfo } from "../apis/registry.ts";

export const KUBERNETES_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0-kubun" };

export function versionInfo() {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: "kubun",
    gitTreeState: "clean",
    buildDate: "2026-11-27T00:00:00Z",
    goVersion: `bun${Bun.version}`,
    compiler: "bun",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}

/** Served groups (besides core) with their versions, in discovery order. */
function groups(): { name: string; versions: string[] }[] {
  const out = new Map<string, Set<string>>();
  for (const r of allResources()) {
    if (!r.group) continue;
    if (!out.has(r.group)) out.set(r.group, new Set());
    out.get(r.group)!.add(r.version);
  }
  return [...out].map(([name, versions]) => ({ name, versions: [...versions] }));
}

export function apiVersions(serverAddress: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

export function apiGroupList() {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups().map((g) => {
      const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
      return { name: g.name, versions, preferredVersion: versions[0] };
    }),
  };
}

export function apiGroup(name: string) {
  const g = groups().find((x) => x.name === name);
  if (!g) return undefined;
  const versions = g.versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: "APIGroup", apiVersion: "v1", name, versions, preferredVersion: versions[0] };
}

function entries(r: ResourceInfo) {
  const main = {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
    ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    ...(r.categories ? { categories: r.categories } : {}),
    storageVersionHash: Bun.hash(`${groupVersion(r)}/${r.kind}`).toString(36),
  };
  const subs = r.subresources.map((s) => ({
    name: `${r.resource}/${s.name}`,
    singularName: "",
    namespaced: r.namespaced,
    ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
    kind: s.kind,
    verbs: s.verbs,
  }));
  return [main, ...subs];
}

export function apiResourceList(group: string, version: string) {
  const rs = resourcesIn(group, version);
  if (rs.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: rs.flatMap(entries),
  };
}
