// Ends what an agent that died (kill -9) left behind in its data dir: its pods, through its
// still-running containerd; that containerd, by the PID the agent recorded; its CNI bridge and
// service-proxy interface; its NetworkPolicy chains and sets; the mounts under the data dir; and the files.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { bridgeName } from "../../agent/cni.ts";
import { containerdPaths } from "../../agent/containerd.ts";
import { CriClient } from "../../agent/cri/index.ts";
import { MANAGED_BY, MANAGED_BY_VALUE, POD_UID } from "../../agent/pods/labels.ts";
import { teardownPod } from "../../agent/pods/runtime-pod.ts";
import { agentId, iptablesBackend, names } from "../../agent/netpol/index.ts";

async function quiet(cmd: string[]): Promise<void> {
  await Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore" }).exited;
}

const isGone = (pid: number) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");

/** PIDs of the processes whose command line names this containerd socket: its shims. */
export function shimsOf(socket: string): number[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").includes(socket);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export async function teardownAgentDataDir(dataDir: string, serviceInterface?: string): Promise<void> {
  const paths = containerdPaths(dataDir);
  if (existsSync(paths.socket)) {
    const cri = new CriClient({ socket: paths.socket, timeoutMs: 10_000 });
    try {
      const sandboxes = await cri.listPodSandbox({ label_selector: { [MANAGED_BY]: MANAGED_BY_VALUE } });
      for (const uid of new Set(sandboxes.map((s) => s.labels[POD_UID] ?? ""))) await teardownPod(cri, uid, 0);
    } catch {
      // containerd is not answering: nothing to end through it
    }
    cri.close();
  }
  if (existsSync(paths.pidFile)) {
    const pid = Number(readFileSync(paths.pidFile, "utf8").trim());
    try {
      process.kill(pid, "SIGKILL");
      while (!isGone(pid)) await Bun.sleep(50);
    } catch {
      // already gone
    }
  }
  // Shims whose containerd was already gone (nothing could ask them to stop): found by the
  // socket address on their command line, with their containers (the shim's children).
  for (const pid of shimsOf(paths.socket)) {
    for (const child of childrenOf(pid)) killQuietly(child);
    killQuietly(pid);
  }
  await quiet(["ip", "link", "del", bridgeName(dataDir)]);
  if (serviceInterface) await quiet(["ip", "link", "del", serviceInterface]);
  // Its NetworkPolicy chains, jumps and ipsets (named after the data dir).
  await iptablesBackend(names(agentId(dataDir))).remove().catch(() => undefined);
  // Mounts containerd left (netns, shm, rootfs) under the data dir: deepest first.
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter((p) => p.startsWith(dataDir))
    .sort((a, b) => b.length - a.length);
  for (const p of mounts) await quiet(["umount", "-l", p]);
  rmSync(dataDir, { recursive: true, force: true });
}
