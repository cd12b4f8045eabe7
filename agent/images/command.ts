// `kubun image build --rootfs DIR --name NAME:TAG [--entrypoint CMD] [--cmd CMD] [--env K=V]... -o FILE.tar`
// A list option takes either a JSON array (--cmd '["httpd","-f"]') or words split on spaces.
import { buildImage, type BuildImageOptions } from "./build.ts";

const USAGE = "usage: kubun image build --rootfs DIR --name NAME:TAG [--entrypoint CMD] [--cmd CMD] [--env K=V]... [--workdir DIR] -o FILE.tar";

function list(value: string): string[] {
  if (value.trimStart().startsWith("[")) {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) throw new Error(`not a JSON array of strings: ${value}`);
    return parsed;
  }
  return value.split(/\s+/).filter(Boolean);
}

/** Parses the arguments after `kubun image build` (a leading "build" is accepted too). */
export function parseImageBuildArgs(argv: string[]): BuildImageOptions {
  const args = argv[0] === "build" ? argv.slice(1) : argv;
  const opts: Partial<BuildImageOptions> & { env?: string[] } = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes("=") && arg.startsWith("--") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--rootfs":
        opts.rootfs = value();
        break;
      case "--name":
      case "-t":
        opts.name = value();
        break;
      case "--entrypoint":
        opts.entrypoint = list(value());
        break;
      case "--cmd":
        opts.cmd = list(value());
        break;
      case "--env":
        (opts.env ??= []).push(value());
        break;
      case "--workdir":
        opts.workingDir = value();
        break;
      case "-o":
      case "--output":
        opts.out = value();
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  if (!opts.rootfs || !opts.name || !opts.out) throw new Error(`--rootfs, --name and -o are required\n${USAGE}`);
  if (opts.env) opts.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ...opts.env];
  return opts as BuildImageOptions;
}

/** Runs `kubun image build`; returns the process exit code. */
export async function runImageBuildCommand(argv: string[]): Promise<number> {
  let opts: BuildImageOptions;
  try {
    opts = parseImageBuildArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  try {
    const built = buildImage(opts);
    console.log(`built ${opts.out}: ${built.name} (manifest ${built.manifestDigest})`);
    return 0;
  } catch (err) {
    console.error(`image build failed: ${(err as Error).message}`);
    return 1;
  }
}
