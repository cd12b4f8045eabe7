// The Events the agent records about its pods, as kubelet's recorder writes them: source.component
// "kubelet" and source.host the node. The controllers' recorder does the rest — repeats folded into
// one Event's count, client-go's per-object spam filter, writes in the background so a pod worker
// never waits on them.
import type { Event } from "../src/apis/core/event.ts";
import { type KubeClient, type EventRecorder, EventRecorderImpl, kubeEventSink, type EventSink } from "../src/client/index.ts";

export const AGENT_COMPONENT = "kubelet";

export interface AgentEventRecorder extends EventRecorder {
  /** Resolves once the writes started so far are done (agent shutdown). */
  flush(): Promise<void>;
}

/** Stamps what the shared recorder leaves out: the node the events come from. */
export function nodeEventSink(sink: EventSink, nodeName: string): EventSink {
  return {
    create: (ns, ev: Event) => sink.create(ns, { ...ev, source: { component: AGENT_COMPONENT, host: nodeName }, reportingComponent: AGENT_COMPONENT, reportingInstance: nodeName }),
    patch: (ns, name, patch) => sink.patch(ns, name, patch),
  };
}

export function agentEventRecorder(client: KubeClient, nodeName: string, onError?: (err: unknown) => void): AgentEventRecorder {
  const impl = new EventRecorderImpl(nodeEventSink(kubeEventSink(client), nodeName), undefined, { onError });
  const recorder = impl.forComponent(AGENT_COMPONENT);
  return { event: (object, type, reason, message) => recorder.event(object, type, reason, message), flush: () => impl.flush() };
}
