// core/v1 Event: what controllers, the scheduler and the agent record about objects, and what
// `kubectl describe` and `kubectl get events` show.
import { fieldInvalid, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, objOf, objectAt, stringAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { timestampSince } from "../duration.ts";
import { type Printer, column, wide } from "../table.ts";
import { isDNS1123Subdomain, isQualifiedName } from "../validation.ts";
import type { ObjectReference } from "./pod.ts";

export interface EventSource {
  component?: string;
  host?: string;
}

export interface Event extends KubeObject {
  apiVersion?: "v1";
  kind?: "Event";
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: EventSource;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  count?: number;
  type?: "Normal" | "Warning" | string;
  eventTime?: string | null; // MicroTime: set by events.k8s.io-style recorders
  series?: { count?: number; lastObservedTime?: string };
  action?: string;
  related?: ObjectReference;
  reportingComponent?: string;
  reportingInstance?: string;
}

const LIMITS = { reportingInstance: 128, action: 128, reason: 128, message: 4096 };

/** legacyValidateEvent: the event must live in its object's namespace; new-style events say who reported them. */
export function validateEvent(errs: Causes, ev: JsonObject): void {
  const involved = objectAt(errs, "involvedObject", ev.involvedObject) ?? {};
  const ns = (objOf(ev.metadata)?.namespace as string | undefined) ?? "";
  const involvedNs = stringAt(errs, "involvedObject.namespace", involved.namespace) ?? "";
  if (!ev.eventTime) {
    const ok = involvedNs ? ns === involvedNs : ns === "" || ns === "default";
    if (!ok) errs.push(fieldInvalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
  } else {
    if (!involvedNs && ns !== "default" && ns !== "kube-system") errs.push(fieldInvalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
    const controller = stringAt(errs, "reportingComponent", ev.reportingComponent) ?? "";
    if (!controller) errs.push(fieldRequired("reportingComponent"));
    else for (const msg of isQualifiedName(controller)) errs.push(fieldInvalid("reportingComponent", controller, msg));
    for (const f of ["reportingInstance", "action", "reason"] as const) {
      const s = stringAt(errs, f, ev[f]) ?? "";
      if (!s) errs.push(fieldRequired(f));
      if (s.length > LIMITS[f]) errs.push(fieldInvalid(f, "", `can have at most ${LIMITS[f]} characters`));
    }
    const message = stringAt(errs, "message", ev.message) ?? "";
    if (message.length > LIMITS.message) errs.push(fieldInvalid("message", "", `can have at most ${LIMITS.message} characters`));
  }
  for (const msg of isDNS1123Subdomain(ns)) errs.push(fieldInvalid("namespace", ns, msg));
}

// A blank timestamp arrives as null or "" from older clients; both mean "not set".
const since = (t: string | null | undefined, now: Date) => timestampSince(t || undefined, now);

function formatSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || "";
  const host = ev.source?.host || ev.reportingInstance || "";
  return host ? `${component}, ${host}` : component;
}

export const eventPrinter: Printer<Event> = {
  columns: [
    column("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    column("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
    column("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    column("Object", "The object that this event is about."),
    wide("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]."),
    wide("Source", "The component reporting this event. Short, machine understandable string."),
    column("Message", "A human-readable description of the status of this operation."),
    wide("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"),
    wide("Count", "The number of times this event has occurred."),
    { ...wide("Name", "Name must be unique within a namespace."), format: "name" },
  ],
  cells(ev, now) {
    const first = ev.firstTimestamp ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
    let last = ev.lastTimestamp ? since(ev.lastTimestamp, now) : first;
    let count = ev.count ?? 0;
    if (ev.series) {
      last = since(ev.series.lastObservedTime, now);
      count = ev.series.count ?? 0;
    } else if (count === 0) {
      count = 1; // singleton events from the new API carry no count
    }
    const kind = (ev.involvedObject?.kind ?? "").toLowerCase();
    const target = ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
    return [last, ev.type ?? "", ev.reason ?? "", target, ev.involvedObject?.fieldPath ?? "", formatSource(ev), (ev.message ?? "").trim(), first, count, ev.metadata.name ?? ""];
  },
};
