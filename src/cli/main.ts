#!/usr/bin/env bun
// The `kubun` command. Each subcommand takes its input as options, so tests call the
// functions directly rather than going through process.argv.
import { parseArgs } from "node:util";
import { startServer } from "./server.ts";

const USAGE = `usage: kubun <command> [options]

commands:
  server   --data-dir DIR --port PORT [--bind ADDR] [--history N]
           run the control plane (API server on its SQLite store)
  up       [server options]
           a one-machine cluster with its state in .data/server
`;

async function server(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "data-dir": { type: "string", default: ".data/server" },
      port: { type: "string", default: "6443" },
      bind: { type: "string", default: "0.0.0.0" },
      history: { type: "string" },
    },
  });
  const running = await startServer({
    dataDir: values["data-dir"]!,
    port: Number(values.port),
    bind: values.bind,
    history: values.history ? Number(values.history) : undefined,
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

/** A one-machine cluster, like `k3s server`: the control plane here; the node agent joins it once it exists. */
async function up(argv: string[]): Promise<void> {
  await server(["--data-dir", ".data/server", "--port", "6443", ...argv]);
}

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = { server, up };

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
