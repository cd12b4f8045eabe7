// A minimal ustar writer: regular files, directories and symlinks, owned by root with a fixed
// mtime, so the same rootfs always yields the same bytes (and so the same layer digest).

export type TarEntry =
  | { type: "file"; path: string; mode: number; data: Uint8Array }
  | { type: "dir"; path: string; mode: number }
  | { type: "symlink"; path: string; mode?: number; target: string };

const BLOCK = 512;
const enc = new TextEncoder();

function writeString(buf: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = enc.encode(value);
  if (bytes.length > length) throw new Error(`tar: "${value}" does not fit in ${length} bytes`);
  buf.set(bytes, offset);
}

function writeOctal(buf: Uint8Array, offset: number, length: number, value: number): void {
  writeString(buf, offset, length, value.toString(8).padStart(length - 1, "0"));
}

/** ustar keeps long names as prefix (155) + "/" + name (100). */
function splitPath(path: string): [prefix: string, name: string] {
  if (enc.encode(path).length <= 100) return ["", path];
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (enc.encode(prefix).length <= 155 && enc.encode(name).length <= 100 && name) return [prefix, name];
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(entry: TarEntry, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const path = entry.type === "dir" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  const [prefix, name] = splitPath(path);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, (entry.mode ?? 0o777) & 0o7777);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, 0); // mtime: the epoch, for reproducible layers
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  h[156] = entry.type === "file" ? 0x30 : entry.type === "dir" ? 0x35 : 0x32;
  if (entry.type === "symlink") writeString(h, 157, 100, entry.target);
  writeString(h, 257, 6, "ustar");
  writeString(h, 263, 2, "00");
  writeString(h, 265, 32, "root");
  writeString(h, 297, 32, "root");
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return h;
}

/** The tar archive of `entries`, in the order given, with the two zero blocks that end it. */
export function tar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const e of entries) {
    const data = e.type === "file" ? e.data : new Uint8Array(0);
    parts.push(header(e, data.length));
    total += BLOCK;
    if (data.length) {
      const padded = Math.ceil(data.length / BLOCK) * BLOCK;
      const body = new Uint8Array(padded);
      body.set(data);
      parts.push(body);
      total += padded;
    }
  }
  parts.push(new Uint8Array(BLOCK * 2));
  total += BLOCK * 2;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
