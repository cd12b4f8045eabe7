// The fake nodes' kubelets for the scheduler's end-to-end bench (bench/scheduler-e2e.ts): they
// create and renew each node's Lease, post node status and mark bound pods Running, paced as
// real kubelets are, through Bun's fetch. A fake only because 5,000 real nodes can't run here.
// With them, what the bench's clients share: the POSTer and running n requests at a time.

type Json = any;

/**
 * POSTs objects with Bun's fetch: the creating clients stand for kubectl and controllers, and
 * Bun's native fetch keeps them from being the bottleneck (the undici KubeClient costs ~2.5x the CPU).
 */
export function poster(url: string, token: string, ca: string) {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  return async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body), tls: { ca } } as RequestInit);
    const text = await res.text();
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
  };
}

const LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
const microTime = () => new Date().toISOString().replace("Z", "000Z");

/**
 * Every node's Lease created, then renewed every 10 s (a merge patch of renewTime, as the agent
 * sends it), spread evenly over the 10 s: 500 writes/s at 5,000 nodes, beside the pod traffic.
 * Each node's status is posted every 5 minutes likewise (17/s at 5,000 nodes), and `markRunning`
 * writes a bound pod's status as its kubelet would once its container runs. Paced like the agents
 * are, each write due on its own clock, with at most `clients` of them in flight (below).
 */
export async function startKubelets(url: string, token: string, ca: string, names: string[], clients: number) {
  const post = poster(url, token, ca);
  await concurrently(names.length, clients, (i) =>
    post(LEASES, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: names[i], namespace: "kube-node-lease" }, spec: { holderIdentity: names[i], leaseDurationSeconds: 40, renewTime: microTime() } }),
  );
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/merge-patch+json" };
  const counts = { renewals: 0, nodeStatus: 0, podsRunning: 0 };
  const failures: string[] = [];
  // A kubelet sends its writes over its own client, a bounded number in flight (client-go's rate
  // limiter and the status manager's one sync at a time); writes due meanwhile wait their turn, in
  // order. Unbounded, a burst of bindings put hundreds of status writes in flight at once, most on a
  // new TLS connection to the server (~750 a run through Bun's keep-alive pool; suspected of the
  // resets seen under load). The fake nodes share `clients` writes in flight, as many as the creating clients, on
  // connections of their own: Bun's fetch keeps at most 64 idle connections per TLS configuration
  // and closes the rest after their answer, so sharing the creating clients' configuration (64 of
  // them) would still open a connection per write beyond 64. An explicit `serverName` (the URL's
  // own host) makes a configuration of their own, as real kubelets are clients of their own.
  const tls = { ca, serverName: new URL(url).hostname };
  const waiting: (() => Promise<void>)[] = [];
  let marked = 0;
  let failedRunning = 0;
  let inFlight = 0;
  const send = (path: string, body: unknown, counted: keyof typeof counts): Promise<void> =>
    fetch(`${url}${path}`, { method: "PATCH", headers, body: JSON.stringify(body), tls } as RequestInit).then(
      async (res) => {
        const text = await res.text();
        if (res.ok) counts[counted]++;
        else {
          failures.push(`PATCH ${path}: ${res.status} ${text.slice(0, 200)}`);
          if (counted === "podsRunning") failedRunning++;
        }
      },
      (err) => {
        failures.push(`PATCH ${path}: ${err}`);
        if (counted === "podsRunning") failedRunning++;
      },
    );
  const next = (): void => {
    const write = waiting.shift();
    if (write === undefined) return void inFlight--;
    void write().then(next);
  };
  const patch = (path: string, body: unknown, counted: keyof typeof counts) => {
    const write = () => send(path, body, counted);
    if (inFlight >= clients) return void waiting.push(write);
    inFlight++;
    void write().then(next);
  };
  let running = true;
  const began = performance.now();
  /** One write every period/n ms, round the nodes, each due at its own time. */
  const every = (periodMs: number, write: (name: string) => void) =>
    void (async () => {
      for (let k = 0; running; k++) {
        const wait = began + (k * periodMs) / names.length - performance.now();
        if (wait > 1) await Bun.sleep(wait);
        if (running) write(names[k % names.length]!);
      }
    })();
  every(10_000, (name) => patch(`${LEASES}/${name}`, { spec: { renewTime: microTime() } }, "renewals"));
  every(300_000, (name) => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    patch(`/api/v1/nodes/${name}/status`, { status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: now, lastTransitionTime: now }] } }, "nodeStatus");
  });
  return {
    /** The pod's status once its kubelet has started it: phase, conditions, its IP, its container running. */
    markRunning(pod: Json, i: number) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const conditions = ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"].map((type) => ({ type, status: "True", lastTransitionTime: now }));
      const containerStatuses = (pod.spec.containers as Json[]).map((c) => ({ name: c.name, image: c.image, imageID: `${c.image}@sha256:${"0".repeat(64)}`, containerID: `containerd://${i.toString(16).padStart(64, "0")}`, ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }));
      const podIP = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      marked++;
      patch(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, { status: { phase: "Running", conditions, hostIP: "10.255.0.1", podIP, podIPs: [{ ip: podIP }], startTime: now, containerStatuses, qosClass: pod.status?.qosClass } }, "podsRunning");
    },
    /** Running writes queued or in flight: the run waits for them before it counts. */
    runningPending: () => marked - counts.podsRunning - failedRunning,
    stop() {
      running = false;
      waiting.length = 0; // writes not yet sent are dropped: the run has counted what it needs
      if (failures.length) throw new Error(`${failures.length} kubelet writes failed, the first: ${failures[0]}`);
      return { renewals: counts.renewals, per_s: Math.round(counts.renewals / ((performance.now() - began) / 1000)), nodeStatus: counts.nodeStatus, podsRunning: counts.podsRunning };
    },
  };
}

/** Runs `n` at a time over `count` items. */
export async function concurrently(count: number, n: number, each: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, count) }, async () => {
    while (next < count) await each(next++);
  }));
}
