// What a request asks to do, in the terms authorizers decide on (after kube-apiserver's
// RequestInfoFactory): a resource request (verb, API group, resource, subresource, namespace,
// name) or a non-resource request (verb, path). Pure string parsing: it needs no registry, so
// a request for an unknown resource is still authorized before it is found missing.
import { StatusError } from "../apis/errors.ts";
import { pathSegments } from "./path-segments.ts";
import type { UserInfo } from "./auth.ts";

export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** The URL path, for non-resource requests. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export type RequestAttributes = Omit<Attributes, "user">;

const VERB_OF_METHOD: Record<string, string> = { POST: "create", GET: "get", HEAD: "get", PUT: "update", PATCH: "patch", DELETE: "delete" };
// Path segments after /namespaces/{ns} that are subresources of the Namespace, not resources in it.
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
// Streams opened by a WebSocket GET start a process or a connection: kube authorizes them as
// "create", the verb their SPDY POST has (AuthorizePodWebsocketUpgradeCreatePermission).
const STREAM_SUBRESOURCES = new Set(["exec", "attach", "portforward"]);

/** A path segment unescaped; most have nothing escaped, and decoding would answer them unchanged. */
const decodePart = (p: string) => (p.includes("%") ? decodeURIComponent(p) : p);

export function requestAttributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
  return parseAttributes(undefined, method, path, query);
}

/** The attributes of a user's request, `{ user, ...requestAttributes(...) }` made as one object. */
export function userRequestAttributes(user: UserInfo, method: string, path: string, query: URLSearchParams): Attributes {
  return parseAttributes(user, method, path, query) as Attributes;
}

function attributes(user: UserInfo | undefined, verb: string, resourceRequest: boolean, path: string, apiGroup: string, apiVersion: string, resource: string, subresource: string, namespace: string, name: string): RequestAttributes {
  return user
    ? ({ user, verb, resourceRequest, path, apiGroup, apiVersion, resource, subresource, namespace, name } as Attributes)
    : { verb, resourceRequest, path, apiGroup, apiVersion, resource, subresource, namespace, name };
}

const nonResourceAttributes = (user: UserInfo | undefined, method: string, path: string) => attributes(user, method.toLowerCase(), false, path, "", "", "", "", "", "");

function parseAttributes(user: UserInfo | undefined, method: string, path: string, query: URLSearchParams): RequestAttributes {
  let parts = pathSegments(path);
  let apiGroup: string;
  let apiVersion: string;
  if (parts[0] === "api" && parts.length >= 3) {
    apiGroup = "";
    apiVersion = parts[1]!;
    parts = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    apiGroup = parts[1]!;
    apiVersion = parts[2]!;
    parts = parts.slice(3);
  } else {
    return nonResourceAttributes(user, method, path); // /api, /apis/apps/v1 ...: discovery
  }
  if (parts.some((p) => p.includes("%"))) {
    try {
      parts = parts.map(decodePart);
    } catch {
      return nonResourceAttributes(user, method, path);
    }
  }
  let verb = VERB_OF_METHOD[method.toUpperCase()] ?? method.toLowerCase();
  if (parts[0] === "watch") {
    verb = "watch";
    parts = parts.slice(1);
  }
  let namespace = "";
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  const resource = parts[0] ?? "";
  const name = parts[1] ?? "";
  const subresource = parts[2] ?? "";
  if (!name) {
    if (verb === "get") verb = "list";
    if (verb === "delete") verb = "deletecollection";
  }
  if (verb === "get" && STREAM_SUBRESOURCES.has(subresource)) verb = "create";
  // An object's history (kubun's GET <object>/history) shows what a `get` of it showed before:
  // it is authorized as that get — except a Secret's, whose past values a reader of the current
  // one has no claim to: that takes `get secrets/history`.
  // A pod's scheduling diagnosis (kubun's GET pods/NAME/scheduling) is read as a get of the pod.
  if (verb === "get" && ((subresource === "history" && !(apiGroup === "" && resource === "secrets")) || (subresource === "scheduling" && apiGroup === "" && resource === "pods"))) {
    return attributes(user, verb, true, path, apiGroup, apiVersion, resource, "", namespace, name);
  }
  const watch = query.get("watch");
  if ((watch === "true" || watch === "1") && (verb === "list" || verb === "get")) verb = "watch";
  return attributes(user, verb, true, path, apiGroup, apiVersion, resource, subresource, namespace, name);
}

/** Why a request was refused, in kube-apiserver's words (responsewriters.forbiddenMessage). */
export function forbiddenMessage(a: Attributes): string {
  if (!a.resourceRequest) return `User ${JSON.stringify(a.user.name)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : "at the cluster scope";
  return `User ${JSON.stringify(a.user.name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

/** The 403 Status kube-apiserver answers a refused request with. */
export function forbiddenError(a: Attributes, reason = ""): StatusError {
  const why = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  const qualified = a.resourceRequest ? (a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource) : "";
  let message: string;
  if (!qualified) message = `forbidden: ${why}`;
  else if (a.name) message = `${qualified} ${JSON.stringify(a.name)} is forbidden: ${why}`;
  else message = `${qualified} is forbidden: ${why}`;
  const details = a.resourceRequest ? { name: a.name || undefined, group: a.apiGroup, kind: a.resource } : undefined;
  return new StatusError({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "Forbidden", details, code: 403 });
}
