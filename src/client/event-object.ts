// A core/v1 Event about an object, as client-go's recorder writes one: the one shape both
// KubeClient.createEvent and the aggregating event recorder (event-recorder.ts) send.
import type { KubeObject } from "../apis/meta.ts";

export interface EventFields {
  name: string;
  namespace: string;
  type: string;
  reason: string;
  message: string;
  component: string;
  /** First and last seen, RFC 3339. */
  at: string;
  count: number;
}

export function eventObject(involved: KubeObject, e: EventFields): KubeObject {
  const meta = involved.metadata;
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: e.name, namespace: e.namespace },
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
    },
    type: e.type,
    reason: e.reason,
    message: e.message,
    source: { component: e.component },
    firstTimestamp: e.at,
    lastTimestamp: e.at,
    count: e.count,
    reportingComponent: e.component,
  } as KubeObject;
}
