// Builds an OCI image-layout tarball from a rootfs folder, in pure TypeScript: one gzip layer,
// a config, a manifest and an index whose io.containerd.image.name annotation names the image
// (ctr import names images only from that annotation; without it, it imports nothing silently).
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { normalizeImageName, imageTagOf } from "./reference.ts";
import { tar, type TarEntry } from "./tar.ts";

export interface BuildImageOptions {
  /** Folder whose content becomes the image's only layer. */
  rootfs: string;
  /** Image reference, e.g. local/busybox:1 (stored normalised: docker.io/local/busybox:1). */
  name: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  /** Path of the tarball to write. */
  out: string;
}

export interface BuiltImage {
  name: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
}

const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const EPOCH = "1970-01-01T00:00:00Z";

export const hostArchitecture = (): string => ({ x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" })[process.arch as string] ?? process.arch;

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

/** The rootfs as tar entries, sorted by path so the layer is reproducible. */
export function rootfsEntries(root: string, rel = ""): TarEntry[] {
  const entries: TarEntry[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const full = join(root, path);
    const st = lstatSync(full);
    const mode = st.mode & 0o7777;
    if (st.isSymbolicLink()) entries.push({ type: "symlink", path, target: readlinkSync(full) });
    else if (st.isDirectory()) {
      entries.push({ type: "dir", path, mode });
      entries.push(...rootfsEntries(root, path));
    } else if (st.isFile()) entries.push({ type: "file", path, mode, data: readFileSync(full) });
    // sockets, fifos and devices have no place in an image layer
  }
  return entries;
}

export function buildImage(opts: BuildImageOptions): BuiltImage {
  const name = normalizeImageName(opts.name);
  const arch = hostArchitecture();
  const layerTar = tar(rootfsEntries(opts.rootfs));
  const layerGz = gzipSync(layerTar, { level: 9 });
  const diffId = sha256(layerTar);
  const layerDigest = sha256(layerGz);

  const config = JSON.stringify({
    created: EPOCH,
    architecture: arch,
    os: "linux",
    config: {
      Env: opts.env ?? [DEFAULT_PATH],
      Entrypoint: opts.entrypoint?.length ? opts.entrypoint : null,
      Cmd: opts.cmd?.length ? opts.cmd : null,
      WorkingDir: opts.workingDir ?? "/",
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
    history: [{ created: EPOCH, created_by: "kubun image build" }],
  });
  const configDigest = sha256(config);

  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${configDigest}`, size: Buffer.byteLength(config) },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${layerDigest}`, size: layerGz.length }],
  });
  const manifestDigest = sha256(manifest);

  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: `sha256:${manifestDigest}`,
        size: Buffer.byteLength(manifest),
        // ctr unpacks only the host platform.
        platform: { architecture: arch, os: "linux" },
        annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": imageTagOf(name) },
      },
    ],
  });

  const text = (s: string) => new TextEncoder().encode(s);
  const layout = tar([
    { type: "file", path: "oci-layout", mode: 0o644, data: text(JSON.stringify({ imageLayoutVersion: "1.0.0" })) },
    { type: "file", path: "index.json", mode: 0o644, data: text(index) },
    { type: "dir", path: "blobs", mode: 0o755 },
    { type: "dir", path: "blobs/sha256", mode: 0o755 },
    { type: "file", path: `blobs/sha256/${layerDigest}`, mode: 0o644, data: layerGz },
    { type: "file", path: `blobs/sha256/${configDigest}`, mode: 0o644, data: text(config) },
    { type: "file", path: `blobs/sha256/${manifestDigest}`, mode: 0o644, data: text(manifest) },
  ]);
  writeFileSync(opts.out, layout);
  return { name, manifestDigest: `sha256:${manifestDigest}`, configDigest: `sha256:${configDigest}`, layerDigest: `sha256:${layerDigest}` };
}
