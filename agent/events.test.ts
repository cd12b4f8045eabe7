import { describe, expect, test } from "bun:test";
import type { Event } from "../src/apis/core/event.ts";
import { EventRecorderImpl, type EventSink } from "../src/client/index.ts";
import { AGENT_COMPONENT, nodeEventSink } from "./events.ts";

describe("agent events", () => {
  test("come from kubelet on this node, and repeats fold into one Event's count", async () => {
    const created: Event[] = [];
    const patches: Partial<Event>[] = [];
    const sink: EventSink = {
      create: async (_ns, ev) => (created.push(ev), ev),
      patch: async (_ns, _name, patch) => (patches.push(patch), created[0]!),
    };
    const impl = new EventRecorderImpl(nodeEventSink(sink, "node-1"));
    const recorder = impl.forComponent(AGENT_COMPONENT);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "ns1", uid: "u1" } };
    recorder.event(pod, "Normal", "BackOff", 'Back-off pulling image "x"');
    recorder.event(pod, "Normal", "BackOff", 'Back-off pulling image "x"');
    await impl.flush();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      metadata: { namespace: "ns1" },
      involvedObject: { kind: "Pod", name: "web", namespace: "ns1", uid: "u1" },
      reason: "BackOff",
      source: { component: "kubelet", host: "node-1" },
      reportingComponent: "kubelet",
      reportingInstance: "node-1",
    });
    expect(patches).toMatchObject([{ count: 2 }]);
  });
});
