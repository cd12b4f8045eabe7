// Turns a non-2xx answer into the StatusError the server meant: its own Status when the body is
// one, else a Status made from the HTTP code (client-go's newUnstructuredResponseError).
import { StatusError } from "../apis/errors.ts";
import type { Status } from "../apis/meta.ts";

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

export function isStatus(value: unknown): value is Status {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "Status";
}

export function responseError(code: number, body: string): StatusError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {}
  if (isStatus(parsed)) return new StatusError({ ...parsed, code: parsed.code || code });
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: body.trim() || `the server responded with HTTP ${code}`,
    reason: REASONS[code] ?? (code >= 500 ? "InternalError" : "Unknown"),
    code,
  });
}
