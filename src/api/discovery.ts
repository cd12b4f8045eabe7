// Classic discovery documents: /api, /apis, /api/v1, /apis/{group}/{version}, /version.
import { allResources, CONVERTED_RESOURCES, groupVersion, resourcesIn, type ResourceInfo } from "../apis/registry.ts";
import { METRICS_RESOURCES } from "../apis/metrics/metrics.ts";

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

/**
 * Kubernetes' version order (version.CompareKubeAwareVersionStrings): GA before beta before
 * alpha, higher numbers first, other strings last alphabetically. A group's first version is
 * its preferred one, which kubectl uses unless told otherwise.
 */
export function byVersionPriority(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return { major: Number(m[1]), level: m[2] === "alpha" ? 0 : m[2] === "beta" ? 1 : 2, minor: Number(m[3] ?? 0) };
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return x ? -1 : y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  return y.level - x.level || y.major - x.major || y.minor - x.minor;
}

/** Served groups (besides core) with their versions, in discovery order. */
function groups(): { name: string; versions: string[] }[] {
  const out = new Map<string, Set<string>>();
  // metrics.k8s.io is computed, not stored (src/api/metrics/), but discovered like the others.
  // Converted versions come after the stored one, which stays the preferred version.
  for (const r of [...allResources(), ...CONVERTED_RESOURCES, ...METRICS_RESOURCES]) {
    if (!r.group) continue;
    if (!out.has(r.group)) out.set(r.group, new Set());
    out.get(r.group)!.add(r.version);
  }
  return [...out].map(([name, versions]) => ({ name, versions: [...versions].sort(byVersionPriority) }));
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
  const rs = [...resourcesIn(group, version), ...METRICS_RESOURCES.filter((r) => r.group === group && r.version === version)];
  if (rs.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: rs.flatMap(entries),
  };
}

/** The media type of aggregated discovery (apidiscovery.k8s.io/v2), exactly as clients match it. */
export const AGGREGATED_DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** Whether an Accept header asks for aggregated discovery v2 before plain JSON (kubectl 1.30+ does). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  if (!accept) return false;
  for (const range of accept.split(",")) {
    const params = range.split(";").map((p) => p.trim().toLowerCase());
    if (params.includes("g=apidiscovery.k8s.io") && params.includes("v=v2") && params.includes("as=apigroupdiscoverylist")) return true;
    if (params[0] === "application/json" && params.length === 1) return false;
  }
  return false;
}

function resourceDiscovery(r: ResourceInfo) {
  return {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? "Namespaced" : "Cluster",
    singularResource: r.singular,
    verbs: r.verbs,
    ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    ...(r.categories ? { categories: r.categories } : {}),
    ...(r.subresources.length
      ? {
          subresources: r.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

/**
 * Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): every group, version and
 * resource in one answer — /api's for the core group, /apis's for the others, preferred
 * versions first. Built from the same registry as the classic documents, custom resources included.
 */
export function aggregatedDiscovery(core: boolean) {
  const names = core ? [""] : groups().map((g) => g.name);
  const items = names.map((name) => {
    const versions = core ? ["v1"] : groups().find((g) => g.name === name)!.versions;
    return {
      metadata: { name },
      versions: versions.map((version) => ({ version, resources: resourcesIn(name, version).map(resourceDiscovery), freshness: "Current" })),
    };
  });
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}
