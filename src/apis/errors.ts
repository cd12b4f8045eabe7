// One error type that carries a Kubernetes Status, built by the constructors below
// (after k8s.io/apimachinery/pkg/api/errors). The API layer serialises it in one place.
import type { Status, StatusCause } from "./meta.ts";

export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

export interface Qualified {
  group?: string;
  resource: string; // plural, as Kubernetes messages name it ("pods", "deployments.apps")
  kind?: string;
}

const qualifiedName = (q: Qualified) => (q.group ? `${q.resource}.${q.group}` : q.resource);

function failure(code: number, reason: string, message: string, details?: Status["details"]): StatusError {
  return new StatusError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    details,
    code,
  });
}

export const notFound = (q: Qualified, name: string) =>
  failure(404, "NotFound", `${qualifiedName(q)} "${name}" not found`, { name, group: q.group, kind: q.resource });

/** A URL that names nothing the server serves. */
export const pathNotFound = () => failure(404, "NotFound", "the server could not find the requested resource");

export const alreadyExists = (q: Qualified, name: string) =>
  failure(409, "AlreadyExists", `${qualifiedName(q)} "${name}" already exists`, { name, group: q.group, kind: q.resource });

export const conflict = (q: Qualified, name: string, why: string) =>
  failure(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedName(q)} "${name}": ${why}`, {
    name,
    group: q.group,
    kind: q.resource,
  });

export const staleConflict = (q: Qualified, name: string) =>
  conflict(q, name, "the object has been modified; please apply your changes to the latest version and try again");

export function invalid(kind: string, name: string, causes: StatusCause[], group?: string): StatusError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(", ");
  return failure(422, "Invalid", `${kind}${group ? `.${group}` : ""} "${name}" is invalid: ${list}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason ?? "FieldValueInvalid", message: c.message, field: c.field })),
  });
}

export const badRequest = (message: string, causes?: StatusCause[]) =>
  failure(400, "BadRequest", message, causes ? { causes } : undefined);

export const unauthorized = () => failure(401, "Unauthorized", "Unauthorized");

export const forbidden = (message: string) => failure(403, "Forbidden", message);

export const methodNotAllowed = (message = "the server does not allow this method on the requested resource") =>
  failure(405, "MethodNotAllowed", message);

export const expired = (message: string) => failure(410, "Expired", message);

export const gone = (message: string) => failure(410, "Gone", message);

export const unsupportedMediaType = (contentType: string) =>
  failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${contentType || "none"})`);

export const tooLarge = () => failure(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");

export const tooManyRequests = (retryAfterSeconds: number, message = "Too many requests, please try again later.") =>
  failure(429, "TooManyRequests", message, { retryAfterSeconds });

export const internalError = (message: string) => failure(500, "InternalError", `Internal error occurred: ${message}`);

export const serviceUnavailable = (message: string) => failure(503, "ServiceUnavailable", message);

export const notAcceptable = (message: string) => failure(406, "NotAcceptable", message);

// --- what an error is (apimachinery's IsNotFound, IsConflict ...) -------------------------
// Every component asks these rather than comparing codes: a Status's reason decides, and a bare
// code counts only when the reason is missing or unknown (a fake, a proxy, an older server), as in
// apimachinery's reasonAndCodeForError.

const KNOWN_REASONS: ReadonlySet<string> = new Set([
  "NotFound", "AlreadyExists", "Conflict", "Invalid", "BadRequest", "Unauthorized", "Forbidden", "MethodNotAllowed",
  "Expired", "Gone", "UnsupportedMediaType", "RequestEntityTooLarge", "TooManyRequests", "InternalError",
  "ServiceUnavailable", "NotAcceptable", "Timeout",
]);

function reasonAndCode(err: unknown): [reason: string | undefined, code: number | undefined] {
  if (err instanceof StatusError) return [err.reason, err.code];
  const e = err as { reason?: unknown; code?: unknown } | null | undefined;
  return [typeof e?.reason === "string" ? e.reason : undefined, typeof e?.code === "number" ? e.code : undefined];
}

const is = (reason: string, code: number) => (err: unknown): boolean => {
  const [r, c] = reasonAndCode(err);
  return r === reason || ((r === undefined || !KNOWN_REASONS.has(r)) && c === code);
};

export const isNotFound = is("NotFound", 404);
/** A create found the name taken. A 409 without a known reason counts as this and as a conflict. */
export const isAlreadyExists = is("AlreadyExists", 409);
/** A precondition (resourceVersion, uid) or the object's state refused the write. */
export const isConflict = is("Conflict", 409);
export const isInvalid = is("Invalid", 422);
export const isBadRequest = is("BadRequest", 400);
export const isUnauthorized = is("Unauthorized", 401);
export const isForbidden = is("Forbidden", 403);
/** A watch or list asked for a compacted revision (410 Expired). */
export const isResourceExpired = is("Expired", 410);
export const isGone = is("Gone", 410);
export const isTooManyRequests = is("TooManyRequests", 429);

/** Field error helpers, mirroring field.Required / field.Invalid / field.NotSupported. */
export const fieldRequired = (field: string, message = "Required value"): StatusCause => ({
  reason: "FieldValueRequired",
  field,
  message,
});
export const fieldInvalid = (field: string, value: unknown, detail: string): StatusCause => ({
  reason: "FieldValueInvalid",
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});
export const fieldNotSupported = (field: string, value: unknown, supported: string[]): StatusCause => ({
  reason: "FieldValueNotSupported",
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
});
export const fieldForbidden = (field: string, detail: string): StatusCause => ({
  reason: "FieldValueForbidden",
  field,
  message: `Forbidden: ${detail}`,
});
export const fieldDuplicate = (field: string, value: unknown): StatusCause => ({
  reason: "FieldValueDuplicate",
  field,
  message: `Duplicate value: ${JSON.stringify(value)}`,
});
