import { describe, expect, test } from "bun:test";
import type { Event } from "../apis/core/event.ts";
import type { KubeObject } from "../apis/meta.ts";
import { EventRecorderImpl, type EventSink } from "./event-recorder.ts";

class FakeSink implements EventSink {
  events = new Map<string, Event>();
  writes: string[] = [];
  async create(namespace: string, ev: Event): Promise<Event> {
    this.writes.push(`create ${ev.reason}`);
    this.events.set(`${namespace}/${ev.metadata.name}`, structuredClone(ev));
    return ev;
  }
  async patch(namespace: string, name: string, patch: Partial<Event>): Promise<Event> {
    this.writes.push(`patch ${name}`);
    const ev = this.events.get(`${namespace}/${name}`);
    if (!ev) throw Object.assign(new Error("not found"), { code: 404 });
    Object.assign(ev, patch);
    return ev;
  }
}

const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns", uid: "u1" } };

function setup(opts = {}) {
  let t = Date.parse("2025-01-01T00:00:00Z");
  const sink = new FakeSink();
  const impl = new EventRecorderImpl(sink, () => new Date(t), opts);
  return { sink, impl, rec: impl.forComponent("test"), tick: (ms: number) => (t += ms) };
}

describe("EventRecorderImpl", () => {
  test("an exact repeat patches count and lastTimestamp of the first event", async () => {
    const { sink, impl, rec, tick } = setup();
    rec.event(pod, "Warning", "BackOff", "restarting");
    tick(1000);
    rec.event(pod, "Warning", "BackOff", "restarting");
    rec.event(pod, "Warning", "BackOff", "restarting");
    await impl.flush();
    expect(sink.events.size).toBe(1);
    const [ev] = [...sink.events.values()];
    expect(ev).toMatchObject({ count: 3, reason: "BackOff", type: "Warning", firstTimestamp: "2025-01-01T00:00:00Z", lastTimestamp: "2025-01-01T00:00:01Z" });
    expect(ev!.involvedObject).toMatchObject({ kind: "Pod", name: "p", namespace: "ns", uid: "u1" });
    expect(sink.writes).toEqual(["create BackOff", `patch ${ev!.metadata.name}`, `patch ${ev!.metadata.name}`]);
  });

  test("different messages, types or reasons are different events", async () => {
    const { sink, impl, rec } = setup();
    rec.event(pod, "Normal", "Created", "a");
    rec.event(pod, "Normal", "Created", "b");
    rec.event(pod, "Warning", "Created", "a");
    await impl.flush();
    expect(sink.events.size).toBe(3);
  });

  test("an event that expired meanwhile is created again", async () => {
    const { sink, impl, rec } = setup();
    rec.event(pod, "Normal", "Pulled", "x");
    await impl.flush();
    sink.events.clear();
    rec.event(pod, "Normal", "Pulled", "x");
    await impl.flush();
    expect([...sink.events.values()].map((e) => e.count)).toEqual([1]);
  });

  test("the spam filter caps one object's events and refills over time", async () => {
    const { sink, impl, rec, tick } = setup({ burst: 3, refillSeconds: 10 });
    for (let i = 0; i < 5; i++) rec.event(pod, "Normal", "Created", `pod-${i}`);
    await impl.flush();
    expect(sink.events.size).toBe(3);
    tick(10_000);
    rec.event(pod, "Normal", "Created", "later");
    await impl.flush();
    expect(sink.events.size).toBe(4);
  });

  test("recording never waits for the API", () => {
    const never: EventSink = { create: () => new Promise(() => {}), patch: () => new Promise(() => {}) };
    const rec = new EventRecorderImpl(never).forComponent("c");
    expect(rec.event(pod, "Normal", "X", "y")).toBeUndefined();
  });
});
