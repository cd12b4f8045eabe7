// The benches' child processes: a `bun` process started with its stderr in a file and its stdout
// read line by line, waiting for a line, the tail of its stderr for a failure report, and what
// /proc says of a process (CPU seconds, peak and current resident set). Shared by the end-to-end
// and memory benches.
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");

export interface Proc {
  proc: Bun.Subprocess<"ignore", "pipe", Bun.BunFile>;
  lines: AsyncIterator<string>;
  stderrPath: string;
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
}

/** Starts a bun process; its stderr goes to `stderrPath` (a 5,000-node cluster makes the controllers chatty). */
/** `env` is added to this process's environment (e.g. the heap setting `kubun` starts with). */
export function spawn(args: string[], stderrPath: string, profileDir?: string, env: Record<string, string> = {}): Proc {
  const prof = profileDir ? ["--cpu-prof-md", `--cpu-prof-dir=${profileDir}`] : [];
  const proc = Bun.spawn([process.execPath, ...prof, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: Bun.file(stderrPath) });
  return { proc, lines: linesOf(proc.stdout)[Symbol.asyncIterator]() as AsyncIterator<string>, stderrPath };
}

/** The last lines a process wrote to stderr, for a failure report. */
export function stderrTail(p: Proc, lines = 20): string {
  try {
    return readFileSync(p.stderrPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export async function waitForLine(p: Proc, re: RegExp, what: string): Promise<RegExpExecArray> {
  for (let r = await p.lines.next(); !r.done; r = await p.lines.next()) {
    const m = re.exec(r.value);
    if (m) return m;
  }
  throw new Error(`${what} exited before it was ready:\n${stderrTail(p)}`);
}

/** A process's state in a failure report: running, or how it ended. */
export const procState = (p: Proc | undefined) =>
  !p ? "not started" : p.proc.exitCode !== null ? `exited with code ${p.proc.exitCode}` : p.proc.signalCode ? `killed by ${p.proc.signalCode}` : "running";
/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat; 11 and 12 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds (user, system) a process's threads have used so far, summed by thread name
 * (/proc/<pid>/task/<tid>/stat): the main thread's JavaScript apart from JSC's collector and
 * compiler threads and Bun's HTTP client and thread pool.
 */
export function threadCpuSeconds(pid: number): Record<string, { user: number; sys: number }> {
  const out: Record<string, { user: number; sys: number }> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = Number(tid) === pid ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\s*\d+$/, "");
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    const t = (out[name] ??= { user: 0, sys: 0 });
    t.user += Number(fields[11]) / 100;
    t.sys += Number(fields[12]) / 100;
  }
  return out;
}

/** What each thread name used between two `threadCpuSeconds` readings, seconds rounded to 10 ms. */
export function threadCpuDelta(before: ReturnType<typeof threadCpuSeconds>, after: ReturnType<typeof threadCpuSeconds>): Record<string, { user: number; sys: number }> {
  const out: Record<string, { user: number; sys: number }> = {};
  for (const [name, a] of Object.entries(after)) {
    const b = before[name] ?? { user: 0, sys: 0 };
    const d = { user: Math.round((a.user - b.user) * 100) / 100, sys: Math.round((a.sys - b.sys) * 100) / 100 };
    if (d.user > 0 || d.sys > 0) out[name] = d;
  }
  return out;
}

/** Peak resident set of a process (kB in /proc/<pid>/status VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resident set now (VmRSS), in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** What JSC's log of its collections says (BUN_JSC_logGC=1, on the process's stderr). */
export interface JscCollections {
  collections: number;
  full: number;
  /** The largest heap a collection started at, MB. */
  maxStartMb: number;
  /** What full and eden collections freed, MB. */
  fullFreedMb: number;
  edenFreedMb: number;
  /** Each collection's pause (p=…ms), sorted, and the longest collection cycle (cycle …ms END), ms. */
  pausesMs: number[];
  cycleMaxMs: number;
}

/**
 * JSC's collections in a log (each logs "START <kind> <size>kb => EdenCollection|FullCollection
 * ... => <size>kb, p=<pause>ms ... cycle <ms>ms END"): how many, the largest heap one started at,
 * what full and eden collections freed, their pauses. Garbage that outlives an eden collection (a
 * replaced revision, a text that left the watch ring) is freed only by a full one: what the full
 * collections free is that old-generation garbage. Shared by bench:memory and bench:api --tail.
 */
export function jscCollections(log: string): JscCollections | undefined {
  const re = /START \S+ (\d+)kb => (EdenCollection|FullCollection)[\s\S]*?=> (\d+)kb, p=/g;
  const out = { collections: 0, full: 0, maxStartMb: 0, fullFreedMb: 0, edenFreedMb: 0, pausesMs: [] as number[], cycleMaxMs: 0 };
  for (const m of log.matchAll(re)) {
    const start = Number(m[1]) / 1024;
    const freed = start - Number(m[3]) / 1024;
    out.collections++;
    out.maxStartMb = Math.max(out.maxStartMb, start);
    if (m[2] === "FullCollection") {
      out.full++;
      out.fullFreedMb += freed;
    } else out.edenFreedMb += freed;
  }
  if (out.collections === 0) return undefined;
  for (const line of log.split("\n")) {
    const p = /\bp=([\d.]+)ms/.exec(line);
    if (p) out.pausesMs.push(Number(p[1]));
    const c = /cycle ([\d.]+)ms END/.exec(line);
    if (c) out.cycleMaxMs = Math.max(out.cycleMaxMs, Number(c[1]));
  }
  out.pausesMs.sort((a, b) => a - b);
  return { ...out, maxStartMb: Math.round(out.maxStartMb), fullFreedMb: Math.round(out.fullFreedMb), edenFreedMb: Math.round(out.edenFreedMb) };
}
