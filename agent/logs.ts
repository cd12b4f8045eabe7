// Container logs served from the CRI log files (<data-dir>/logs/<ns>_<pod>_<uid>/<container>/<restart>.log,
// lines "<RFC3339Nano> stdout|stderr F|P <text>"), the way kubelet's /containerLogs endpoint does:
//   GET /containerLogs/{namespace}/{pod}/{container}?follow&tailLines&sinceSeconds&timestamps&previous
// The agent's endpoint lets only the API server's client certificate in (mutual TLS and its
// identity, endpoint-tls.ts), so the handler needs no check of its own.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface LogOptions {
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
}

export interface LogLine {
  time: string;
  stream: string;
  text: string;
}

/** Parses CRI log text; partial (P) lines are joined with the line that completes them. */
export function parseCriLog(text: string): LogLine[] {
  const out: LogLine[] = [];
  let partial = "";
  for (const raw of text.split("\n")) {
    if (!raw) continue;
    const m = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/.exec(raw);
    if (!m) continue;
    if (m[3] === "P") {
      partial += m[4];
      continue;
    }
    out.push({ time: m[1]!, stream: m[2]!, text: partial + m[4]! });
    partial = "";
  }
  return out;
}

export function formatLines(lines: LogLine[], opts: LogOptions, now = Date.now()): string {
  let selected = lines;
  if (opts.sinceSeconds !== undefined) {
    const since = now - opts.sinceSeconds * 1000;
    selected = selected.filter((l) => Date.parse(l.time) >= since);
  }
  if (opts.tailLines !== undefined) selected = opts.tailLines <= 0 ? [] : selected.slice(-opts.tailLines);
  return selected.map((l) => `${opts.timestamps ? `${l.time} ` : ""}${l.text}\n`).join("");
}

/** The log files of a container, oldest restart first. */
export function containerLogFiles(dataDir: string, namespace: string, pod: string, container: string): string[] {
  const root = join(dataDir, "logs");
  if (!existsSync(root)) return [];
  const podDirs = readdirSync(root)
    .filter((d) => d.startsWith(`${namespace}_${pod}_`))
    .map((d) => join(root, d))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const dir = podDirs.map((d) => join(d, container)).find(existsSync);
  if (!dir) return [];
  return readdirSync(dir)
    .filter((f) => /^\d+\.log$/.test(f))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((f) => join(dir, f));
}

const text = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });

export interface AgentLogHandlerOptions {
  dataDir: string;
  /** How often a follow request looks for new lines. */
  pollMs?: number;
}

/** A fetch handler (Request → Response) for Bun.serve or a Hono route. */
export function agentLogHandler(opts: AgentLogHandlerOptions): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (!m) return text(404, "not found\n");
    const [ns, pod, container] = m.slice(1).map(decodeURIComponent) as [string, string, string];
    const q = url.searchParams;
    const flag = (k: string) => q.has(k) && q.get(k) !== "false" && q.get(k) !== "0";
    const num = (k: string) => (q.get(k) !== null && q.get(k) !== "" ? Number(q.get(k)) : undefined);
    const logOpts: LogOptions = { tailLines: num("tailLines"), sinceSeconds: num("sinceSeconds"), timestamps: flag("timestamps") };
    const files = containerLogFiles(opts.dataDir, ns, pod, container);
    const file = flag("previous") ? files.at(-2) : files.at(-1);
    if (!file) return text(404, flag("previous") ? `previous terminated container "${container}" in pod "${pod}" not found\n` : `container "${container}" in pod "${pod}" has no logs\n`);
    const initial = readFileSync(file, "utf8");
    const head = formatLines(parseCriLog(initial), logOpts);
    if (!flag("follow") || flag("previous")) return text(200, head);

    let offset = Buffer.byteLength(initial);
    let partial = "";
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const enc = new TextEncoder();
        controller.enqueue(enc.encode(head));
        // Follow until the client goes away or a newer instance of the container takes over.
        while (!req.signal.aborted) {
          await Bun.sleep(opts.pollMs ?? 250);
          const size = existsSync(file) ? statSync(file).size : 0;
          if (size > offset) {
            const chunk = partial + readFileSync(file).subarray(offset, size).toString("utf8");
            offset = size;
            const cut = chunk.lastIndexOf("\n") + 1;
            partial = chunk.slice(cut);
            const lines = formatLines(parseCriLog(chunk.slice(0, cut)), { timestamps: logOpts.timestamps });
            if (lines) controller.enqueue(enc.encode(lines));
          } else if (containerLogFiles(opts.dataDir, ns, pod, container).at(-1) !== file) break;
        }
        controller.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/plain; charset=utf-8" } });
  };
}
