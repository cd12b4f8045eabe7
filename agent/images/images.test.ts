import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage } from "./build.ts";
import { parseImageBuildArgs } from "./command.ts";
import { normalizeImageName } from "./reference.ts";

describe("image references", () => {
  test.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["local/pause:1", "docker.io/local/pause:1"],
    ["registry.example.com:5000/x/y:2", "registry.example.com:5000/x/y:2"],
    ["localhost/a", "localhost/a:latest"],
  ])("%s → %s", (ref, want) => expect(normalizeImageName(ref)).toBe(want));
});

describe("image build", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubun-image-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("writes an OCI layout named by io.containerd.image.name, readable by tar", async () => {
    const rootfs = join(dir, "rootfs");
    mkdirSync(join(rootfs, "bin"), { recursive: true });
    writeFileSync(join(rootfs, "bin/hello"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    symlinkSync("hello", join(rootfs, "bin/hi"));
    const out = join(dir, "img.tar");
    const built = buildImage({ rootfs, name: "local/hello:1", cmd: ["/bin/hello"], out });
    expect(built.name).toBe("docker.io/local/hello:1");
    const x = join(dir, "x");
    mkdirSync(x);
    expect(await Bun.spawn(["tar", "-xf", out, "-C", x]).exited).toBe(0);
    const index = JSON.parse(readFileSync(join(x, "index.json"), "utf8"));
    expect(index.manifests[0].annotations["io.containerd.image.name"]).toBe("docker.io/local/hello:1");
    expect(index.manifests[0].platform.os).toBe("linux");
    const manifest = JSON.parse(readFileSync(join(x, "blobs/sha256", built.manifestDigest.slice(7)), "utf8"));
    const config = JSON.parse(readFileSync(join(x, "blobs/sha256", built.configDigest.slice(7)), "utf8"));
    expect(config.config.Cmd).toEqual(["/bin/hello"]);
    // The layer is a gzip tar whose uncompressed digest is the config's diff_id.
    const layer = join(x, "blobs/sha256", manifest.layers[0].digest.slice(7));
    const listing = await new Response(Bun.spawn(["tar", "-tvzf", layer]).stdout).text();
    expect(listing).toContain("bin/hello");
    expect(listing).toContain("bin/hi -> hello");
    const raw = Bun.gunzipSync(readFileSync(layer));
    expect(`sha256:${new Bun.CryptoHasher("sha256").update(raw).digest("hex")}`).toBe(config.rootfs.diff_ids[0]);
    // Reproducible: the same rootfs gives the same digests.
    expect(buildImage({ rootfs, name: "local/hello:1", cmd: ["/bin/hello"], out: join(dir, "again.tar") })).toEqual(built);
  });

  test.each([
    [["--rootfs", "r", "--name", "n:1", "-o", "o.tar", "--cmd", '["a","b c"]'], { cmd: ["a", "b c"] }],
    [["build", "--rootfs=r", "--name=n:1", "-o", "o.tar", "--entrypoint", "/bin/sh -c"], { entrypoint: ["/bin/sh", "-c"] }],
  ])("parses %j", (argv, want) => {
    expect(parseImageBuildArgs(argv)).toMatchObject({ rootfs: "r", name: "n:1", out: "o.tar", ...want });
  });

  test("requires rootfs, name and output", () => {
    expect(() => parseImageBuildArgs(["--rootfs", "r"])).toThrow("required");
  });
});
