#!/usr/bin/env -S BUN_JSC_forceRAMSize=1073741824 bun
// The `kubun` command. Each subcommand takes its input as options, so tests call the
// functions directly rather than going through process.argv. Each one imports its own code when
// it runs: an agent process then never loads the API server, the controllers or the scheduler
// (their modules' compiled code alone would double the agent's memory).
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { POD_SECURITY_FLAGS, podSecurityFromFlags } from "./pod-security-flags.ts";
import { SCHEDULER_FLAGS, SCHEDULER_USAGE, schedulerOptionsFromFlags } from "../scheduler/cli-options.ts";
import { CONTROLLER_MANAGER_FLAGS, CONTROLLER_MANAGER_USAGE, controllerManagerOptionsFromFlags } from "../controllers/cli-options.ts";

const USAGE = `usage: kubun <command> [options]

commands:
  server   --data-dir DIR --port PORT [--bind ADDR] [--history N] [--service-cidr CIDR] [--cluster-cidr CIDR] [--event-ttl 1h]
           [--shutdown-delay-duration 5s]
           [--audit-log-path FILE|- --audit-policy-file FILE [--audit-log-maxsize MB] [--audit-log-maxbackup N]]
           [--pod-security-default enforce=baseline,warn=restricted] [--pod-security-exempt-usernames U,..]
           [--pod-security-exempt-namespaces NS,..] [--pod-security-exempt-runtime-classes RC,..]
           [--disable-scheduler] [--disable-controller-manager] [scheduler options] [controller-manager options]
           [--datastore-endpoint postgres://USER:PASS@HOST:PORT/DB [--token TOKEN]]
           [--tls-san NAME|IP ...] [--leader-elect true|false] [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s] [--leader-elect-retry-period 2s]
           run the control plane (API server on its SQLite store, or on a PostgreSQL datastore
           that several servers share; --token joins the cluster of the first server's DIR/server.token)
  controller-manager --kubeconfig FILE [controller-manager options]
           run the controllers alone, against any kubun API server
  scheduler --kubeconfig FILE [scheduler options]
           run the scheduler alone, against any kubun API server
  agent    --server URL --token T [--node-name N] [--data-dir D] [--containerd-socket S] [--ca-file F]
           [--pause-image IMAGE] [--registry-config registries.yaml] [--serialize-image-pulls=false]
           [--image-pull-deadline 5m] [--image-gc-high-threshold 85] [--image-gc-low-threshold 80]
           run a node agent (kubelet role) that joins the cluster
  up       [--data-dir D] [--port P] [--log-port 10250] [--pause-image IMAGE] [--registry-config registries.yaml]
           a one-machine cluster: control plane and agent, state in D (default .data)
  image    build --rootfs DIR --name NAME:TAG [--entrypoint ...] [--cmd ...] -o FILE.tar
           make an OCI image tarball for an agent's images folder

scheduler options: ${SCHEDULER_USAGE}
controller-manager options: ${CONTROLLER_MANAGER_USAGE}
  (defaults: binpack, kube-scheduler's weights fit=1,balanced=1,nodeAffinity=2,taintToleration=3, ties to the first node)
`;

async function server(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "data-dir": { type: "string", default: ".data/server" },
      port: { type: "string", default: "6443" },
      bind: { type: "string", default: "0.0.0.0" },
      history: { type: "string" },
      "service-cidr": { type: "string" },
      "cluster-cidr": { type: "string" },
      "event-ttl": { type: "string" },
      "shutdown-delay-duration": { type: "string" },
      "audit-log-path": { type: "string" },
      "audit-policy-file": { type: "string" },
      "audit-log-maxsize": { type: "string" },
      "audit-log-maxbackup": { type: "string" },
      "disable-scheduler": { type: "boolean", default: false },
      "disable-controller-manager": { type: "boolean", default: false },
      "datastore-endpoint": { type: "string" },
      token: { type: "string" },
      "leader-elect": { type: "string" },
      "tls-san": { type: "string", multiple: true },
      "leader-elect-lease-duration": { type: "string" },
      "leader-elect-renew-deadline": { type: "string" },
      "leader-elect-retry-period": { type: "string" },
      ...SCHEDULER_FLAGS,
      ...POD_SECURITY_FLAGS,
      ...CONTROLLER_MANAGER_FLAGS,
    },
  });
  const schedulerOptions = schedulerOptionsFromFlags(values);
  const { startServer } = await import("./server.ts");
  const running = await startServer({
    scheduler: values["disable-scheduler"] ? false : schedulerOptions,
    // Pod CIDRs for nodes come from here, a /24 each (default 10.42.0.0/16: 256 nodes).
    controllers: values["disable-controller-manager"]
      ? false
      : { ...controllerManagerOptionsFromFlags(values), ...(values["cluster-cidr"] ? { clusterCIDR: values["cluster-cidr"] } : {}) },
    serviceCIDR: values["service-cidr"],
    dataDir: values["data-dir"]!,
    port: Number(values.port),
    bind: values.bind,
    history: values.history ? Number(values.history) : undefined,
    eventTTLSeconds: values["event-ttl"] === undefined ? undefined : seconds("--event-ttl", values["event-ttl"]),
    shutdownDelaySeconds: values["shutdown-delay-duration"] === undefined ? undefined : seconds("--shutdown-delay-duration", values["shutdown-delay-duration"]),
    audit: values["audit-log-path"]
      ? {
          logPath: values["audit-log-path"],
          policyFile: values["audit-policy-file"],
          maxSizeMB: count("--audit-log-maxsize", values["audit-log-maxsize"]),
          maxBackups: count("--audit-log-maxbackup", values["audit-log-maxbackup"]),
        }
      : undefined,
    podSecurity: podSecurityFromFlags(values),
    datastoreEndpoint: datastoreEndpoint(values["datastore-endpoint"], values.token),
    token: values.token,
    leaderElection: leaderElectionFromFlags(values),
    tlsSANs: (values["tls-san"] ?? []).flatMap((v) => v.split(",")).filter(Boolean),
  });
  console.log(`kubun server listening on ${running.url} (bind ${values.bind})`);
  console.log(`point kubectl at it: export KUBECONFIG=${running.kubeconfigPath}`);
  const shutdown = async (signal: string) => {
    console.log(`kubun server: ${signal}, stopping`);
    await running.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** kube's --leader-elect flags; unset, the server decides (on with --datastore-endpoint). */
function leaderElectionFromFlags(values: Record<string, string | boolean | string[] | undefined>) {
  const flag = values["leader-elect"] as string | undefined;
  if (flag !== undefined && flag !== "true" && flag !== "false") throw new Error(`--leader-elect ${flag}: want true or false`);
  const ms = (name: string) => {
    const v = values[name] as string | undefined;
    return v === undefined ? undefined : seconds(`--${name}`, v) * 1000;
  };
  const timings = { leaseDurationMs: ms("leader-elect-lease-duration"), renewDeadlineMs: ms("leader-elect-renew-deadline"), retryPeriodMs: ms("leader-elect-retry-period") };
  const anyTiming = Object.values(timings).some((v) => v !== undefined);
  if (flag === "false") {
    if (anyTiming) throw new Error("--leader-elect-* timings were given with --leader-elect=false");
    return false;
  }
  if (timings.renewDeadlineMs !== undefined && timings.leaseDurationMs !== undefined && timings.renewDeadlineMs >= timings.leaseDurationMs) {
    throw new Error("--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration");
  }
  return anyTiming ? timings : flag === "true" ? true : undefined;
}

/** --datastore-endpoint: only PostgreSQL URLs (k3s's form); SQLite is the default without it. */
function datastoreEndpoint(value: string | undefined, token: string | undefined): string | undefined {
  if (value === undefined) {
    if (token !== undefined) throw new Error("--token joins the cluster of a shared --datastore-endpoint; a server on its own SQLite store makes its own tokens");
    return undefined;
  }
  if (!/^postgres(ql)?:\/\//.test(value)) throw new Error(`--datastore-endpoint ${value}: only postgres://USER:PASS@HOST:PORT/DB is supported (without it the state is in DIR/state.db)`);
  return value;
}

/** A one-machine cluster, like `k3s server`: the control plane and an agent in one process. */
async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "data-dir": { type: "string", default: ".data" },
      port: { type: "string", default: "6443" },
      // The agent's log/exec endpoint (kubelet's 10250); 0 picks a free port (tests do).
      "log-port": { type: "string", default: "10250" },
      "pause-image": { type: "string" },
      "registry-config": { type: "string" },
    },
  });
  const dataDir = resolve(values["data-dir"]!);
  const logPort = Number(values["log-port"]);
  if (!Number.isInteger(logPort) || logPort < 0 || logPort > 65535) throw new Error(`--log-port ${values["log-port"]}: not a port number (0 picks a free one)`);
  const [{ startServer }, { startAgent, LOCAL_SANDBOX_IMAGE }] = await Promise.all([import("./server.ts"), import("../../agent/index.ts")]);
  console.log("kubun up: starting the control plane");
  const server = await startServer({ dataDir: join(dataDir, "server"), port: Number(values.port), bind: "0.0.0.0" });
  console.log(`kubun up: API server on ${server.url}; starting the agent and its containerd (images from build/images)`);
  const agent = await startAgent({
    server: server.url,
    token: server.joinToken,
    ca: server.ca.cert,
    dataDir: join(dataDir, "agent"),
    imageDirs: [resolve(import.meta.dir, "../../build/images")],
    // The pause image up imports from build/images, so a machine without a registry runs pods.
    sandboxImage: values["pause-image"] ?? LOCAL_SANDBOX_IMAGE,
    registryConfig: values["registry-config"] ? resolve(values["registry-config"]) : undefined,
    logPort,
  });
  console.log(`kubun up: node ${agent.nodeName} is up (pod CIDR ${agent.podCIDR})`);
  console.log(`\nPoint kubectl at the cluster:\n  export KUBECONFIG=${server.kubeconfigPath}\n  kubectl get nodes`);
  console.log(`\nThe dashboard: ${server.url}/ui/ (log in with the token in ${server.dataDir}/admin.token)`);
  console.log(`\nCtrl-C stops the cluster and its pods; the cluster's objects stay in ${dataDir}, and \`up\` again starts their pods anew.`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`kubun up: ${signal}, stopping the pods, the node and the control plane`);
    // A one-machine cluster in the foreground leaves nothing running when it stops, as a user
    // expects of Ctrl-C: the pods go (with their network namespaces, CNI rules and policy
    // chains), then containerd and the bridge. (`kubun agent` alone keeps its pods running
    // across a restart, as kubelet does.)
    await agent.stop({ removePods: true, stopContainerd: true });
    await Bun.spawn(["ip", "link", "del", agent.bridge], { stdout: "ignore", stderr: "ignore" }).exited;
    await server.stop();
    console.log("kubun up: stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

async function controllerManager(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { kubeconfig: { type: "string" }, ...CONTROLLER_MANAGER_FLAGS } });
  if (!values.kubeconfig) throw new Error("controller-manager needs --kubeconfig FILE");
  const { runControllerManagerCommand } = await import("../controllers/command.ts");
  await runControllerManagerCommand({ kubeconfig: values.kubeconfig, ...controllerManagerOptionsFromFlags(values) });
  process.exit(0);
}

/** "90", "90s", "30m", "1h" → seconds; an Error naming the flag otherwise. */
function seconds(flag: string, text: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(text);
  if (!m || Number(m[1]) === 0) throw new Error(`${flag} is a positive duration such as 90s, 30m or 1h, got ${text}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s" | "m" | "h"];
}

/** A whole number flag (0 allowed), or undefined when not given. */
function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${flag} is a whole number, got ${text}`);
  return Number(text);
}

async function scheduler(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { kubeconfig: { type: "string" }, ...SCHEDULER_FLAGS } });
  if (!values.kubeconfig) throw new Error("scheduler needs --kubeconfig FILE");
  const options = schedulerOptionsFromFlags(values);
  const { runSchedulerCommand } = await import("../scheduler/command.ts");
  await runSchedulerCommand({ kubeconfig: values.kubeconfig, ...options });
  process.exit(0);
}

async function agent(argv: string[]): Promise<void> {
  // Before the agent's code loads: the process starts again under the agent's JSC options.
  (await import("../../agent/jsc-options.ts")).reexecWithAgentOptions();
  const { runAgentCommand } = await import("../../agent/index.ts");
  process.exit(await runAgentCommand(argv));
}

async function image(argv: string[]): Promise<void> {
  const { runImageBuildCommand } = await import("../../agent/index.ts");
  process.exit(await runImageBuildCommand(argv));
}

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  server,
  up,
  agent,
  image,
  "controller-manager": controllerManager,
  scheduler,
};

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(USAGE);
    process.exit(command ? 2 : 0);
  }
  await run(rest);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`kubun: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
