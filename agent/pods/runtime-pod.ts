// A pod as the runtime sees it: its sandboxes and container instances, found by the labels the
// agent put on them, and the teardown that ends them (stop with grace, remove, free the IP).
import type { Container, ContainerStatus, PodSandbox, RuntimeService } from "../cri/index.ts";
import { isNotFound } from "../cri/index.ts";
import { CONTAINER_NAME, POD_UID, RESTART_COUNT } from "./labels.ts";

const byNewest = <T extends { created_at: string }>(a: T, b: T) => (BigInt(b.created_at) > BigInt(a.created_at) ? 1 : BigInt(b.created_at) < BigInt(a.created_at) ? -1 : 0);

export async function podSandboxes(runtime: RuntimeService, uid: string): Promise<PodSandbox[]> {
  return (await runtime.listPodSandbox({ label_selector: { [POD_UID]: uid } })).sort(byNewest);
}

/** The pod's container instances grouped by container name, newest first. */
export async function podContainers(runtime: RuntimeService, uid: string): Promise<Map<string, Container[]>> {
  const out = new Map<string, Container[]>();
  for (const c of (await runtime.listContainers({ label_selector: { [POD_UID]: uid } })).sort(byNewest)) {
    const name = c.labels[CONTAINER_NAME] ?? c.metadata.name;
    out.set(name, [...(out.get(name) ?? []), c]);
  }
  return out;
}

export const restartCountOf = (s: { annotations?: Record<string, string> } | undefined): number => Number(s?.annotations?.[RESTART_COUNT] ?? 0) || 0;

/** Status of an instance; null once it is gone. */
export async function instanceStatus(runtime: RuntimeService, c: { id: string } | undefined): Promise<ContainerStatus | null> {
  return c ? runtime.containerStatus(c.id) : null;
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Ends a pod in the runtime: SIGTERM to every running container with `graceSeconds` before
 * SIGKILL (all at once, as kubelet does), then removes containers and sandboxes, which releases
 * the pod's IP through CNI. `preStop` runs a container's hook first and resolves with the grace
 * left for its SIGTERM.
 */
export async function teardownPod(runtime: RuntimeService, uid: string, graceSeconds: number, preStop?: (c: Container, graceSeconds: number) => Promise<number>): Promise<void> {
  const containers = await runtime.listContainers({ label_selector: { [POD_UID]: uid } });
  const stop = async (c: Container) => runtime.stopContainer(c.id, preStop ? await preStop(c, graceSeconds) : graceSeconds);
  await Promise.all(containers.filter((c) => c.state === "CONTAINER_RUNNING").map((c) => ignoreNotFound(stop(c))));
  for (const c of containers) await ignoreNotFound(runtime.removeContainer(c.id));
  for (const s of await runtime.listPodSandbox({ label_selector: { [POD_UID]: uid } })) {
    await ignoreNotFound(runtime.stopPodSandbox(s.id));
    await ignoreNotFound(runtime.removePodSandbox(s.id));
  }
}
