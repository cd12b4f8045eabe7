// Turns a decoded protobuf message into the object Kubernetes' JSON encoding would give for the
// same Go struct: JSON field names, inline embedded structs, Time as RFC 3339, IntOrString as a
// number or string, Quantity as its string, bytes as base64, int64 as number, zero values omitted.
import protobuf from "protobufjs";
import { META } from "./schema.ts";

type Json = Record<string, unknown>;

// Embedded Go structs whose fields JSON puts inline (`json:",inline"`).
const INLINE = new Set(["handler", "volumeSource", "localObjectReference"]);

// Go pointer fields ("field" in any message, or "Message.field"): the wire carries them only when
// set, so a zero value there is meaningful (replicas: 0, runAsUser: 0 = root,
// automountServiceAccountToken: false ...). Every other scalar is a plain Go field that
// gogo-protobuf always writes, and JSON's omitempty drops its zero value.
const POINTER_SCALARS = new Set([
  "DeploymentSpec.replicas", "ReplicaSetSpec.replicas", "ScaleSpec.replicas", "revisionHistoryLimit", "progressDeadlineSeconds", "immutable", "optional",
  "automountServiceAccountToken", "enableServiceLinks", "terminationGracePeriodSeconds",
  "activeDeadlineSeconds", "deletionGracePeriodSeconds", "gracePeriodSeconds", "orphanDependents",
  "runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "privileged", "readOnlyRootFilesystem",
  "allowPrivilegeEscalation", "hostUsers", "setHostnameAsFQDN", "shareProcessNamespace",
  "defaultMode", "mode", "priority", "tolerationSeconds", "minDomains", "expirationSeconds",
  "leaseDurationSeconds", "leaseTransitions", "ready", "serving", "terminating",
  "allocateLoadBalancerNodePorts", "controller", "blockOwnerDeletion",
  "started",
  "parallelism", "completions", "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes", "manualSelector", "ttlSecondsAfterFinished",
  "completionMode", "suspend", "podReplacementPolicy", "managedBy", "timeZone", "startingDeadlineSeconds", "successfulJobsHistoryLimit",
  "failedJobsHistoryLimit",
]);

const isLong = (v: unknown): v is { toNumber(): number } =>
  typeof v === "object" && v !== null && typeof (v as { toNumber?: unknown }).toNumber === "function";

function scalar(field: protobuf.Field, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (isLong(value)) return value.toNumber();
  if (field.type === "string" && typeof value !== "string") return String(value);
  return value;
}

const isZero = (v: unknown) => v === "" || v === 0 || v === false;

// The range Go's RFC 3339 formatting accepts: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

/** RFC 3339 in UTC, with `digits` fractional digits (0 for Time, 6 for MicroTime). */
function timestamp(seconds: number, nanos: number, digits: number): string {
  if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS) || !(nanos >= 0 && nanos < 1e9)) {
    throw new RangeError(`timestamp ${seconds}s ${nanos}ns is outside years 1 to 9999`);
  }
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (!digits) return `${base}Z`;
  return `${base}.${String(Math.trunc(nanos)).padStart(9, "0").slice(0, digits)}Z`;
}

function num(v: unknown): number {
  return isLong(v) ? v.toNumber() : typeof v === "number" ? v : 0;
}

/** The JSON of the special wrapper types, or `undefined` when the type is an ordinary struct. */
function special(type: protobuf.Type, msg: Json): { value: unknown } | undefined {
  switch (type.fullName.slice(1)) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      const seconds = num(msg.seconds);
      const nanos = num(msg.nanos);
      // A zero Go time.Time marshals to an empty message; JSON renders it as null.
      if (seconds === 0 && nanos === 0) return { value: undefined };
      return { value: timestamp(seconds, nanos, type.name === "MicroTime" ? 6 : 0) };
    }
    case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
      return { value: num(msg.type) === 1 ? String(msg.strVal ?? "") : num(msg.intVal) };
    case "k8s.io.apimachinery.pkg.api.resource.Quantity":
      return { value: String(msg.string ?? "") };
    case `${META}.FieldsV1`:
    case "k8s.io.apimachinery.pkg.runtime.RawExtension": {
      const raw = (msg.Raw ?? msg.raw) as Uint8Array | undefined;
      return { value: raw && raw.byteLength ? JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw)) : undefined };
    }
  }
  return undefined;
}

function value(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolvedType;
  return t instanceof protobuf.Type ? messageToJson(t, v as Json) : scalar(field, v);
}

/** Converts one decoded message of `type`; throws (SyntaxError, RangeError) on content JSON can't hold. */
export function messageToJson(type: protobuf.Type, decoded: Json | null | undefined): unknown {
  // A map entry without its value decodes to null: Go reads it as the zero value.
  const msg = decoded ?? {};
  const s = special(type, msg);
  if (s) return s.value;
  const out: Json = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const v = msg[field.name];
    if (field.map) {
      const entries = Object.entries(v as Json);
      if (entries.length) out[field.name] = Object.fromEntries(entries.map(([k, e]) => [k, value(field, e)]));
    } else if (field.repeated) {
      if ((v as unknown[]).length) out[field.name] = (v as unknown[]).map((e) => value(field, e));
    } else if (field.resolvedType instanceof protobuf.Type) {
      const converted = value(field, v);
      if (converted === undefined) continue;
      if (INLINE.has(field.name) && typeof converted === "object" && converted !== null) Object.assign(out, converted);
      else out[field.name] = converted;
    } else {
      const converted = scalar(field, v);
      const pointer = POINTER_SCALARS.has(field.name) || POINTER_SCALARS.has(`${type.name}.${field.name}`);
      if (isZero(converted) && !pointer) continue;
      out[field.name] = converted;
    }
  }
  return out;
}
