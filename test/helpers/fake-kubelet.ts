// A FAKE kubelet for tests without agents: it runs nothing, it only writes pods/status so pods
// look Running and Ready, letting tests step rollouts deterministically (mark pods ready when
// the test says so) or let them run on their own (auto mode marks every new pod ready).
import type { Pod } from "../../src/apis/core/pod.ts";
import { isPodReady } from "../../src/apis/core/pod.ts";
import { Informer, resourceFor, type KubeClient } from "../../src/client/index.ts";

const PODS = resourceFor("Pod");

/** The status a kubelet reports for a pod whose containers all started and passed readiness. */
export function readyStatus(pod: Pod, now = new Date()): Pod["status"] {
  const t = now.toISOString();
  const cond = (type: string) => ({ type, status: "True" as const, lastProbeTime: null, lastTransitionTime: t });
  return {
    phase: "Running",
    conditions: [cond("PodReadyToStartContainers"), cond("Initialized"), cond("Ready"), cond("ContainersReady"), cond("PodScheduled")],
    hostIP: "127.0.0.1",
    podIP: "10.244.0.10",
    startTime: t,
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? "",
      imageID: "",
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: t } },
    })),
  } as Pod["status"];
}

export class FakeKubelet {
  private auto?: Informer<Pod>;
  private readonly marking = new Set<string>();

  constructor(private readonly client: KubeClient) {}

  /** Marks one pod Running and Ready through the status subresource. */
  async markReady(pod: Pod): Promise<void> {
    await this.client.patch(PODS, pod.metadata.namespace, pod.metadata.name!, { status: readyStatus(pod) }, "merge", { subresource: "status" });
  }

  /** Marks every pod of the namespace (matching `labelSelector`) that is not yet ready; returns how many. */
  async readyAll(namespace: string, labelSelector?: string, limit = Infinity): Promise<number> {
    const pods = (await this.client.list<Pod>(PODS, { namespace, labelSelector })).items;
    const pending = pods.filter((p) => !p.metadata.deletionTimestamp && !isPodReady(p)).slice(0, limit);
    await Promise.all(pending.map((p) => this.markReady(p).catch(() => undefined)));
    return pending.length;
  }

  /** Auto mode: every pod of the namespace becomes ready as soon as it appears. */
  async start(namespace: string): Promise<void> {
    this.auto = new Informer<Pod>(this.client.listerWatcher<Pod>(PODS, { namespace }));
    const onPod = (pod: Pod) => {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (pod.metadata.deletionTimestamp || isPodReady(pod) || this.marking.has(key)) return;
      this.marking.add(key);
      void this.markReady(pod)
        .catch(() => undefined)
        .finally(() => this.marking.delete(key));
    };
    this.auto.addEventHandler({ onAdd: onPod, onUpdate: (_old, pod) => onPod(pod) });
    this.auto.start();
    await this.auto.waitForSync();
  }

  /** Marks up to `perRound` pending pods ready per round until `done` yields a value. */
  stepUntil<T>(namespace: string, done: () => Promise<T | undefined | false>, perRound = Infinity): Promise<T> {
    return waitFor(`${namespace}: condition after marking pods ready`, async () => {
      await this.readyAll(namespace, undefined, perRound);
      return done();
    });
  }

  async stop(): Promise<void> {
    await this.auto?.stop();
  }
}

/** Polls `fn` until it yields a value (tests only: the API has no "wait until" verb). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await Bun.sleep(25);
  }
}
