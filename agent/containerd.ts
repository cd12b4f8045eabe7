// The agent's own containerd: a config with its own root, state and socket under the agent's
// data dir (so it never touches a system containerd), started as a child process and restarted
// when it exits. Pods survive a containerd restart: their shims are re-parented. Registry
// settings (registries.yaml) go to hosts.toml files under config_path, re-read by containerd at
// each pull; only per-host credentials live in the config itself, and changing them restarts it.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { criRegistrySection, writeHostsDir, type Registries } from "./images/registries.ts";

export interface ContainerdPaths {
  root: string;
  state: string;
  socket: string;
  config: string;
  log: string;
  cniConfDir: string;
  cniIpamDir: string;
  /** PID of the running containerd, so a restarted agent finds the one it left behind. */
  pidFile: string;
  /** The CRI registry config_path: one folder of hosts.toml per registry. */
  hostsDir: string;
}

export function containerdPaths(dataDir: string): ContainerdPaths {
  const base = join(dataDir, "containerd");
  return {
    root: join(base, "root"),
    state: join(base, "state"),
    socket: join(base, "run", "containerd.sock"),
    config: join(base, "config.toml"),
    log: join(base, "containerd.log"),
    cniConfDir: join(dataDir, "cni", "net.d"),
    cniIpamDir: join(dataDir, "cni", "ipam"),
    pidFile: join(base, "containerd.pid"),
    hostsDir: join(base, "certs.d"),
  };
}

export interface ContainerdConfigOptions {
  paths: ContainerdPaths;
  /** The image RunPodSandbox starts: must be imported locally (no registry is reachable). */
  sandboxImage: string;
  cniBinDir?: string;
  /** Mirrors, registry TLS and credentials from registries.yaml. */
  registries?: Registries;
}

const q = (s: string) => JSON.stringify(s);

/** containerd 1.6 config (version 2) for running CRI pods on a cgroup v1 host without systemd. */
export function containerdConfig(opts: ContainerdConfigOptions): string {
  const p = opts.paths;
  const run = join(p.socket, "..");
  return `# written by the kubun agent: edits are overwritten at start
version = 2
root = ${q(p.root)}
state = ${q(p.state)}
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
]

[grpc]
  address = ${q(p.socket)}

[ttrpc]
  address = ${q(`${p.socket}.ttrpc`)}

[debug]
  address = ${q(join(run, "debug.sock"))}
  level = "info"

[metrics]
  address = ""

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = ${q(opts.sandboxImage)}
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    enable_selinux = false
    disable_apparmor = true
    # root here may lack CAP_SYS_RESOURCE: without this runc cannot set the sandbox's
    # oom_score_adj of -998 and RunPodSandbox fails with "can't get final child's PID from pipe".
    restrict_oom_score_adj = true
    # keep pod netns files under our state dir, not /var/run/netns
    netns_mounts_under_state_dir = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          # cgroup v1 and no systemd as PID 1: the cgroupfs driver
          SystemdCgroup = false
          Root = ${q(join(run, "runc"))}
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = ${q(opts.cniBinDir ?? "/usr/lib/cni")}
      conf_dir = ${q(p.cniConfDir)}
      max_conf_num = 1
${criRegistrySection(opts.registries, p.hostsDir)}  [plugins."io.containerd.internal.v1.opt"]
    path = ${q(join(p.root, "opt"))}
`;
}

export interface SupervisedContainerd {
  readonly socket: string;
  /** PID of the current containerd process (changes when it is restarted). */
  readonly pid: number | undefined;
  /** Stops containerd (SIGTERM, then SIGKILL after `graceMs`) and stops restarting it. */
  stop(graceMs?: number): Promise<void>;
  /**
   * New registry settings: the hosts.toml files are replaced (containerd reads them at each pull);
   * when the config itself changes (credentials), containerd is restarted with it. Resolves true then.
   */
  setRegistries(registries: Registries | undefined): Promise<boolean>;
}

export interface StartContainerdOptions extends ContainerdConfigOptions {
  binary?: string;
  /** Delay before restarting a containerd that exited. */
  restartDelayMs?: number;
  onExit?: (code: number | null) => void;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");

/** The PID in `pidFile` if that process is still a containerd running `config`. */
export function leftoverContainerd(pidFile: string, config: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!(pid > 0) || !alive(pid)) return undefined;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return argv.some((a) => a.endsWith("containerd")) && argv.includes(config) ? pid : undefined;
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * Ends the containerd a killed agent left running (it holds the socket and the metadata DB's
 * lock, so a second one cannot start). Pods survive it: their shims outlive containerd.
 */
async function stopLeftover(paths: ContainerdPaths): Promise<void> {
  const pid = leftoverContainerd(paths.pidFile, paths.config);
  if (pid === undefined) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(50);
  if (alive(pid)) process.kill(pid, "SIGKILL");
  for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(50);
}

/** Writes the config and runs containerd under supervision; resolves once its socket exists. */
export async function startContainerd(opts: StartContainerdOptions): Promise<SupervisedContainerd> {
  const p = opts.paths;
  for (const dir of [p.root, p.state, join(p.socket, ".."), p.cniConfDir, p.cniIpamDir]) mkdirSync(dir, { recursive: true });
  let current = { ...opts };
  writeHostsDir(opts.registries, p.hostsDir);
  writeFileSync(p.config, containerdConfig(current));
  await stopLeftover(p);
  let proc: Subprocess | undefined;
  let stopping = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  const spawn = () => {
    const log = openSync(p.log, "a");
    // A session of its own: a terminal's Ctrl-C (SIGINT to the whole foreground group) reaches the
    // agent, which then stops containerd in order, rather than both at once.
    proc = Bun.spawn([opts.binary ?? "containerd", "--config", p.config], { stdin: "ignore", stdout: log, stderr: log, detached: true });
    closeSync(log);
    writeFileSync(p.pidFile, `${proc.pid}\n`);
    const current = proc;
    void current.exited.then((code) => {
      if (stopping || proc !== current) return;
      opts.onExit?.(code);
      restartTimer = setTimeout(spawn, opts.restartDelayMs ?? 1000);
    });
  };
  spawn();

  const deadline = Date.now() + 20_000;
  while (!existsSync(p.socket)) {
    if (proc?.exitCode !== null && proc?.exitCode !== undefined) throw new Error(`containerd exited with ${proc.exitCode}; see ${p.log}`);
    if (Date.now() > deadline) throw new Error(`containerd did not create ${p.socket} within 20 s; see ${p.log}`);
    await Bun.sleep(50);
  }

  return {
    socket: p.socket,
    get pid() {
      return proc?.pid;
    },
    async setRegistries(registries) {
      writeHostsDir(registries, p.hostsDir);
      const before = containerdConfig(current);
      current = { ...current, registries };
      const after = containerdConfig(current);
      if (after === before) return false;
      writeFileSync(p.config, after);
      // The supervisor starts it again with the new config; pods' shims outlive it.
      const running = proc;
      if (running && running.exitCode === null && !stopping) {
        running.kill("SIGTERM");
        await running.exited;
        const deadline = Date.now() + 20_000;
        while (proc === running && Date.now() < deadline) await Bun.sleep(50);
      }
      return true;
    },
    async stop(graceMs = 5000) {
      stopping = true;
      clearTimeout(restartTimer);
      const current = proc;
      if (!current || current.exitCode !== null) return;
      current.kill("SIGTERM");
      const timer = setTimeout(() => current.kill("SIGKILL"), graceMs);
      await current.exited;
      clearTimeout(timer);
      rmSync(p.pidFile, { force: true });
    },
  };
}
