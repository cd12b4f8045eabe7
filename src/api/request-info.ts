// Turns a resource URL into what it names (after kube-apiserver's RequestInfoFactory):
//   /api/v1/namespaces/{ns}/pods/{name}/status, /apis/apps/v1/deployments, /api/v1/namespaces/{name} ...
import { findResource, type ResourceInfo } from "../apis/registry.ts";
import { badRequest, pathNotFound } from "../apis/errors.ts";
import { pathSegments } from "./path-segments.ts";

export interface RequestInfo {
  resource: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Legacy `/watch/` path prefix: the request is a watch whatever its query says. */
  watchPath: boolean;
}

export interface GroupVersion {
  group: string;
  version: string;
  /** Segments after /api/v1 or /apis/{group}/{version}. */
  rest: string[];
}

/** A malformed escape ("%ff", "%") is the client's error, as Go's URL parsing makes it. */
function decodeSegment(segment: string): string {
  if (!segment.includes("%")) return segment; // nothing escaped: decoding would answer the same string
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid URL escape in path segment "${segment.slice(0, 100)}"`);
  }
}

/** Splits "/api/v1/..." or "/apis/g/v/..." into group, version and the remaining segments. */
export function splitGroupVersion(path: string): GroupVersion | undefined {
  const parts = pathSegments(path);
  if (parts[0] === "api" && parts.length >= 2) return { group: "", version: parts[1]!, rest: parts.slice(2).map(decodeSegment) };
  if (parts[0] === "apis" && parts.length >= 3) return { group: parts[1]!, version: parts[2]!, rest: parts.slice(3).map(decodeSegment) };
  return undefined;
}

function resourceOrNotFound(gv: GroupVersion, plural: string): ResourceInfo {
  const r = findResource(gv.group, gv.version, plural);
  if (!r) throw pathNotFound();
  return r;
}

export function parseRequestInfo(gv: GroupVersion): RequestInfo {
  let rest = gv.rest;
  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
  }
  // /namespaces/{ns}/{resource}/... unless the segment after {ns} is a subresource of Namespace itself.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const nsResource = findResource(gv.group, gv.version, rest[2]!);
    if (nsResource?.namespaced) {
      return {
        resource: nsResource,
        namespace: rest[1],
        name: rest[3],
        subresource: rest[4],
        watchPath,
      };
    }
  }
  const resource = resourceOrNotFound(gv, rest[0] ?? "");
  if (resource.namespaced) {
    // A namespaced resource across all namespaces: /api/v1/pods
    if (rest.length > 1) throw pathNotFound();
    return { resource, watchPath };
  }
  return { resource, name: rest[1], subresource: rest[2], watchPath };
}
