// Airgap images, the k3s way: every tarball in <data-dir>/images/ is imported into containerd's
// k8s.io namespace (the one CRI reads). CRI has no import call, so this runs containerd's `ctr`.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export interface ImageImporter {
  /** Imports tarballs that are new or changed since the last call; returns the files imported. */
  importNew(): Promise<string[]>;
}

export interface ImageImporterOptions {
  dir: string;
  /** containerd's gRPC socket. */
  socket: string;
  ctr?: string;
  onError?: (file: string, err: Error) => void;
}

export async function ctrImport(ctr: string, socket: string, file: string): Promise<void> {
  const proc = Bun.spawn([ctr, "-a", socket, "-n", "k8s.io", "images", "import", file], { stdout: "pipe", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`ctr images import ${file}: exit ${code}: ${stderr.trim()}`);
}

export function imageImporter(opts: ImageImporterOptions): ImageImporter {
  const seen = new Map<string, string>();
  const ctr = opts.ctr ?? "ctr";
  const scan = async (): Promise<string[]> => {
    if (!existsSync(opts.dir)) return [];
    const done: string[] = [];
    for (const name of readdirSync(opts.dir).sort()) {
      if (!name.endsWith(".tar")) continue;
      const file = join(opts.dir, name);
      const st = statSync(file);
      const stamp = `${st.size}:${st.mtimeMs}`;
      if (seen.get(file) === stamp) continue;
      try {
        await ctrImport(ctr, opts.socket, file);
        seen.set(file, stamp);
        done.push(file);
      } catch (err) {
        (opts.onError ?? ((f, e) => console.warn(`agent: importing ${f}: ${e.message}`)))(file, err as Error);
      }
    }
    return done;
  };
  // Pod workers waiting on an image call in too, besides the periodic scan: one scan at a time,
  // so that no tarball is imported twice.
  let last: Promise<unknown> = Promise.resolve();
  return {
    importNew() {
      const next = last.then(scan, scan);
      last = next;
      return next;
    },
  };
}
