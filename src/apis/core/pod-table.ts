// `kubectl get pods` columns, after printPod in pkg/printers/internalversion: the STATUS cell is
// the most specific reason among the containers' states, as users know it (ContainerCreating,
// CrashLoopBackOff, Init:0/1, Completed, Terminating ...).
import { humanDuration } from "../duration.ts";
import { type Printer, type TableRowCondition, age, column, wide } from "../table.ts";
import type { ContainerStatus } from "./container.ts";
import { type Pod, isRestartableInitContainer } from "./pod.ts";

interface Restarts {
  count: number;
  last?: number; // ms since epoch of the latest restart
}

function noteRestart(r: Restarts, s: ContainerStatus): void {
  r.count += s.restartCount ?? 0;
  const finished = s.lastState?.terminated?.finishedAt;
  const t = finished ? Date.parse(finished) : NaN;
  if (!Number.isNaN(t) && (r.last === undefined || t > r.last)) r.last = t;
}

const hasCondition = (pod: Pod, type: string) => pod.status?.conditions?.some((c) => c.type === type && c.status === "True") ?? false;

interface PodSummary {
  ready: string;
  reason: string;
  restarts: string;
}

export function summarizePod(pod: Pod, now: Date): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const initContainers = new Map((spec?.initContainers ?? []).map((c) => [c.name, c]));
  let total = spec?.containers?.length ?? 0;
  for (const c of initContainers.values()) if (isRestartableInitContainer(c)) total++;
  let ready = 0;
  let reason: string = status.reason || status.phase || "";
  if (status.conditions?.some((c) => c.type === "PodScheduled" && c.reason === "SchedulingGated")) reason = "SchedulingGated";

  let restarts: Restarts = { count: 0 };
  const sidecarRestarts: Restarts = { count: 0 };
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const s = initStatuses[i]!;
    noteRestart(restarts, s);
    const sidecar = isRestartableInitContainer(initContainers.get(s.name));
    if (sidecar) noteRestart(sidecarRestarts, s);
    const terminated = s.state?.terminated;
    const waiting = s.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (sidecar && s.started) {
      if (s.ready) ready++;
      continue;
    }
    if (terminated) {
      if (terminated.reason) reason = `Init:${terminated.reason}`;
      else reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(pod, "Initialized")) {
    restarts = { ...sidecarRestarts };
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walked backwards so the first container's reason wins, as kubectl does.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const s = statuses[i]!;
      noteRestart(restarts, s);
      const { waiting, terminated, running } = s.state ?? {};
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (s.ready && running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) reason = hasCondition(pod, "Ready") ? "Running" : "NotReady";
  }

  if (pod.metadata.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown";
  else if (pod.metadata.deletionTimestamp && status.phase !== "Succeeded" && status.phase !== "Failed") reason = "Terminating";

  let restartsCell = String(restarts.count);
  if (restarts.count !== 0 && restarts.last !== undefined) restartsCell = `${restarts.count} (${humanDuration(now.getTime() - restarts.last)} ago)`;
  return { ready: `${ready}/${total}`, reason, restarts: restartsCell };
}

function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return "<none>";
  const ok = gates.filter((g) => pod.status?.conditions?.find((c) => c.type === g.conditionType)?.status === "True").length;
  return `${ok}/${gates.length}`;
}

const completed = (reason: string, message: string): TableRowCondition[] => [{ type: "Completed", status: "True", reason, message }];

export const podPrinter: Printer<Pod> = {
  columns: [
    column("Name"),
    column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    column("Status", "The aggregate status of the containers in this pod."),
    column("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
    column("Age"),
    wide("IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
    wide("Node", "NodeName indicates in which node this pod is scheduled."),
    wide("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods."),
    wide("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness."),
  ],
  cells(pod, now) {
    const s = summarizePod(pod, now);
    return [
      pod.metadata.name ?? "",
      s.ready,
      s.reason,
      s.restarts,
      age(pod, now),
      pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || "<none>",
      pod.spec?.nodeName || "<none>",
      pod.status?.nominatedNodeName || "<none>",
      readinessGates(pod),
    ];
  },
  conditions(pod) {
    if (pod.status?.phase === "Succeeded") return completed("Succeeded", "The pod has completed successfully.");
    if (pod.status?.phase === "Failed") return completed("Failed", "The pod failed.");
    return undefined;
  },
};
