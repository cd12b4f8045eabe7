// A URL path's non-empty segments, as `path.split("/").filter((p) => p !== "")` makes them: the
// request filter, the authorizer's attributes and the resource dispatch each split every path.
// A path without empty segments (no "//", no trailing "/": nearly all) skips the filter's copy.
export function pathSegments(path: string): string[] {
  const parts = path.split("/");
  if (parts[0] !== "" || path.includes("//") || path.endsWith("/")) return parts.filter((p) => p !== "");
  parts.shift(); // the empty segment before the leading "/"
  return parts;
}
