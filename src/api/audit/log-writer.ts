// The audit log file: one JSON event a line, rotated by size as kube-apiserver's
// --audit-log-maxsize/--audit-log-maxbackup do (lumberjack): the full file is renamed to
// NAME-TIMESTAMP.EXT and a new one started; only the newest `maxBackups` old files are kept.
// Writes are synchronous appends, so an event is in the file when its request has been answered.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";

export interface AuditLogOptions {
  path: string;
  /** Rotate when the file would pass this many megabytes; 0 = never. */
  maxSizeMB?: number;
  /** Rotated files kept; 0 = all. */
  maxBackups?: number;
  now?: () => Date;
}

export interface AuditSink {
  write(event: object): void;
  close(): void;
}

/** "-" writes to standard output, as kube-apiserver's --audit-log-path=- does. */
export function openAuditLog(opts: AuditLogOptions): AuditSink {
  if (opts.path === "-") return { write: (e) => void process.stdout.write(`${JSON.stringify(e)}\n`), close() {} };
  return new RotatingFile(opts);
}

const encoder = new TextEncoder();

class RotatingFile implements AuditSink {
  private fd: number;
  private size: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: AuditLogOptions) {
    this.maxBytes = (opts.maxSizeMB ?? 0) * 1024 * 1024;
    this.fd = openSync(opts.path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  write(event: object): void {
    const line = encoder.encode(`${JSON.stringify(event)}\n`);
    if (this.maxBytes > 0 && this.size > 0 && this.size + line.byteLength > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += line.byteLength;
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    const { path } = this.opts;
    const ext = extname(path);
    const stem = basename(path, ext);
    // lumberjack's backup name: audit-2026-12-06T14-50-00.123.log
    const stamp = (this.opts.now?.() ?? new Date()).toISOString().replace(/:/g, "-").replace(/Z$/, "");
    let target = join(dirname(path), `${stem}-${stamp}${ext}`);
    for (let i = 1; existsSync(target); i++) target = join(dirname(path), `${stem}-${stamp}.${i}${ext}`);
    renameSync(path, target);
    this.fd = openSync(path, "a", 0o600);
    this.size = 0;
    this.prune(stem, ext);
  }

  private prune(stem: string, ext: string): void {
    const keep = this.opts.maxBackups ?? 0;
    if (keep <= 0) return;
    const dir = dirname(this.opts.path);
    const backups = readdirSync(dir)
      .filter((f) => f.startsWith(`${stem}-`) && f.endsWith(ext))
      .sort(); // the timestamp sorts oldest first
    for (const old of backups.slice(0, Math.max(0, backups.length - keep))) unlinkSync(join(dir, old));
  }
}
