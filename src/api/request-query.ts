// A request's query parameters, parsed once per request. Authorization, the limits and the
// resource handlers all read them; each used to parse the whole URL again (`new URL`) for it.
import type { Context } from "hono";

const KEY = "query" as never;

/** The query of the request's URL, as `new URL(url).searchParams` reads it. */
export function requestQuery(c: Context): URLSearchParams {
  let query = c.get(KEY) as URLSearchParams | undefined;
  if (query) return query;
  const url = c.req.url;
  const start = url.indexOf("?");
  // As URL's parser: the query runs to a fragment, if a client sent one.
  const end = start < 0 ? -1 : url.indexOf("#", start);
  query = new URLSearchParams(start < 0 ? "" : url.slice(start + 1, end < 0 ? undefined : end));
  c.set(KEY, query as never);
  return query;
}
