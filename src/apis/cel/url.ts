// Kubernetes' CEL URL library (k8s.io/apiserver/pkg/cel/library/urls.go): isURL(s), url(s) and
// getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery. As with quantities (see
// quantity.ts), a URL is carried as a one-entry map ({"url": "<the string>"}).
import { type CelFunc, CelScalar, celFunc, celMethod, listType, mapType } from "@bufbuild/cel";

const URL_TYPE = mapType(CelScalar.STRING, CelScalar.STRING);
const KEY = "url";

/** Go's url.ParseRequestURI accepts absolute URLs and absolute paths. */
function parse(s: string): URL | undefined {
  if (s.startsWith("/")) return URL.canParse(s, "http://placeholder.invalid") ? new URL(s, "http://placeholder.invalid") : undefined;
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && URL.canParse(s) ? new URL(s) : undefined;
}

const of = (u: { get(key: unknown): unknown }): { raw: string; url: URL } => {
  const raw = u.get(KEY);
  const url = typeof raw === "string" ? parse(raw) : undefined;
  if (!url) throw new Error("not a URL");
  return { raw: raw as string, url };
};
const relative = (raw: string) => raw.startsWith("/");

export const URL_FUNCS: CelFunc[] = [
  celFunc("isURL", [CelScalar.STRING], CelScalar.BOOL, (s) => parse(s) !== undefined),
  celFunc("url", [CelScalar.STRING], URL_TYPE, (s) => {
    if (!parse(s)) throw new Error(`URL parse error during conversion from string: ${JSON.stringify(s)}`);
    return new Map([[KEY, s]]);
  }),
  celMethod("getScheme", URL_TYPE, [], CelScalar.STRING, function () {
    const { raw, url } = of(this);
    return relative(raw) ? "" : url.protocol.slice(0, -1);
  }),
  celMethod("getHost", URL_TYPE, [], CelScalar.STRING, function () {
    const { raw, url } = of(this);
    return relative(raw) ? "" : url.host;
  }),
  celMethod("getHostname", URL_TYPE, [], CelScalar.STRING, function () {
    const { raw, url } = of(this);
    return relative(raw) ? "" : url.hostname.replace(/^\[|\]$/g, "");
  }),
  celMethod("getPort", URL_TYPE, [], CelScalar.STRING, function () {
    const { raw, url } = of(this);
    return relative(raw) ? "" : url.port;
  }),
  celMethod("getEscapedPath", URL_TYPE, [], CelScalar.STRING, function () {
    return of(this).url.pathname;
  }),
  celMethod("getQuery", URL_TYPE, [], mapType(CelScalar.STRING, listType(CelScalar.STRING)), function () {
    const out = new Map<string, string[]>();
    for (const [k, v] of of(this).url.searchParams) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  }),
];
