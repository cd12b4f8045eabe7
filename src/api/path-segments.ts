// A URL path's non-empty segments, as `path.split("/").filter((p) => p !== "")` makes them: the
// request filter, the authorizer's attributes and the resource dispatch each split every path.
// A path without empty segments (no "//", no trailing "/": nearly all) skips the filter's copy.
// The last path's segments are kept: the authorizer's attributes and the resource dispatch ask for
// the same request's path one after the other. Callers only read the array (it is shared).
let lastPath: string | undefined;
let lastSegments: readonly string[] = [];

export function pathSegments(path: string): readonly string[] {
  if (path === lastPath) return lastSegments;
  const parts = path.split("/");
  if (parts[0] !== "" || path.includes("//") || path.endsWith("/")) lastSegments = parts.filter((p) => p !== "");
  else {
    parts.shift(); // the empty segment before the leading "/"
    lastSegments = parts;
  }
  lastPath = path;
  return lastSegments;
}
