// `kubun agent --server URL --token T [--node-name N] [--data-dir D] [--containerd-socket S]
//               [--ca-file F] [--pod-cidr C] [--node-ip IP] [--log-port P] [--service-interface NAME]
//               [--volume-refresh-period DURATION] [--pause-image IMAGE] [--serialize-image-pulls=false]
//               [--image-pull-deadline DURATION] [--registry-config FILE]
//               [--image-gc-high-threshold PERCENT] [--image-gc-low-threshold PERCENT]`
import { readFileSync } from "node:fs";
import { startAgent, type AgentOptions } from "./agent.ts";
import { codeTrimmer } from "./code-trim.ts";

const USAGE =
  "usage: kubun agent --server URL [--server URL ...] --token T [--node-name N] [--data-dir D] [--containerd-socket S] [--ca-file F] [--pod-cidr C] [--node-ip IP] [--log-port P] [--service-interface NAME] [--volume-refresh-period DURATION] [--pause-image IMAGE] [--serialize-image-pulls=false] [--image-pull-deadline DURATION] [--registry-config FILE] [--image-gc-high-threshold PERCENT] [--image-gc-low-threshold PERCENT]";

/** "500ms", "30s", "1m" or plain seconds, as kubelet's duration flags read. */
export function durationMs(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new Error(`invalid duration ${value}: want e.g. 500ms, 30s, 1m\n${USAGE}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

function bool(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== "true" && value !== "false") throw new Error(`--${flag} is true or false, got ${value}\n${USAGE}`);
  return value === "true";
}

function percent(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 100) throw new Error(`--${flag} is a percentage from 0 to 100, got ${value}\n${USAGE}`);
  return n;
}

/** kubelet's image GC thresholds: 85 and 80 percent of the image filesystem; high 100 turns GC off. */
function imageGCFlags(high: string | undefined, low: string | undefined): AgentOptions["imageGC"] {
  const highPercent = percent("image-gc-high-threshold", high, 85);
  const lowPercent = percent("image-gc-low-threshold", low, 80);
  if (lowPercent >= highPercent) throw new Error(`--image-gc-low-threshold (${lowPercent}) must be below --image-gc-high-threshold (${highPercent})\n${USAGE}`);
  return { highPercent, lowPercent };
}

export function parseAgentArgs(argv: string[]): AgentOptions {
  const flags: Record<string, string> = {};
  const servers: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const eq = arg.indexOf("=");
    const [k, v] = eq > 0 ? [arg.slice(2, eq), arg.slice(eq + 1)] : [arg.slice(2), argv[++i]];
    if (v === undefined) throw new Error(`--${k} needs a value\n${USAGE}`);
    // --server may be given more than once: the first joins, the others are servers to fail over to.
    if (k === "server") servers.push(v);
    flags[k] = k === "server" ? servers[0]! : v;
  }
  const known = [
    "server", "token", "node-name", "data-dir", "containerd-socket", "ca-file", "pod-cidr", "node-ip", "log-port", "service-interface", "volume-refresh-period",
    "pause-image", "serialize-image-pulls", "image-pull-deadline", "registry-config", "image-gc-high-threshold", "image-gc-low-threshold",
  ];
  for (const k of Object.keys(flags)) if (!known.includes(k)) throw new Error(`unknown flag --${k}\n${USAGE}`);
  if (!flags.server || !flags.token) throw new Error(`--server and --token are required\n${USAGE}`);
  return {
    server: flags.server,
    fallbackServers: servers.length > 1 ? servers.slice(1) : undefined,
    token: flags.token,
    nodeName: flags["node-name"],
    dataDir: flags["data-dir"] ?? "/var/lib/kubun/agent",
    containerdSocket: flags["containerd-socket"],
    ca: flags["ca-file"] ? readFileSync(flags["ca-file"], "utf8") : undefined,
    podCIDR: flags["pod-cidr"],
    nodeIP: flags["node-ip"],
    serviceInterface: flags["service-interface"],
    volumeRefreshMs: flags["volume-refresh-period"] !== undefined ? durationMs(flags["volume-refresh-period"]) : undefined,
    sandboxImage: flags["pause-image"],
    serializeImagePulls: bool("serialize-image-pulls", flags["serialize-image-pulls"]),
    imagePullDeadlineMs: flags["image-pull-deadline"] !== undefined ? durationMs(flags["image-pull-deadline"]) : undefined,
    registryConfig: flags["registry-config"],
    imageGC: imageGCFlags(flags["image-gc-high-threshold"], flags["image-gc-low-threshold"]),
    // kubelet's port by default: the API server reaches logs and exec there (mutual TLS needs the CA).
    logPort: flags["log-port"] !== undefined ? Number(flags["log-port"]) : flags["ca-file"] ? 10250 : undefined,
  };
}

/** Runs `kubun agent` until SIGINT/SIGTERM; resolves with the exit code. */
export async function runAgentCommand(argv: string[]): Promise<number> {
  let opts: AgentOptions;
  try {
    opts = parseAgentArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  // The process is the agent's alone: its compiled code goes when its work goes quiet.
  const trimmer = codeTrimmer();
  const agent = await startAgent({ ...opts, onPodEvent: () => trimmer.poke() });
  trimmer.poke();
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  trimmer.stop();
  await agent.stop();
  return 0;
}
