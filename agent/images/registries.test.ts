import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../test/helpers/wait.ts";
import { criRegistrySection, hostsFiles, parseRegistries, watchRegistries, type Registries } from "./registries.ts";

const K3S_EXAMPLE = `
mirrors:
  docker.io:
    endpoint:
      - "https://mirror.example.com:5000"
  "*":
    endpoint: ["http://cache.internal"]
configs:
  "mirror.example.com:5000":
    auth:
      username: alice
      password: s3cret
    tls:
      ca_file: /etc/ssl/mirror-ca.crt
      cert_file: /etc/ssl/client.crt
      key_file: /etc/ssl/client.key
  registry.internal:
    tls:
      insecure_skip_verify: true
`;

describe("registries.yaml", () => {
  test("mirrors become hosts.toml files: endpoints first with their TLS, then the registry itself", () => {
    const files = hostsFiles(parseRegistries(K3S_EXAMPLE));
    expect([...files.keys()].sort()).toEqual(["_default", "docker.io", "mirror.example.com:5000", "registry.internal"]);
    expect(files.get("docker.io")).toBe(
      [
        "# written by the kubun agent from registries.yaml: edits are overwritten",
        'server = "https://registry-1.docker.io"',
        "",
        '[host."https://mirror.example.com:5000"]',
        '  capabilities = ["pull", "resolve"]',
        '  ca = "/etc/ssl/mirror-ca.crt"',
        '  client = [["/etc/ssl/client.crt", "/etc/ssl/client.key"]]',
        "",
      ].join("\n"),
    );
    expect(files.get("_default")).toContain('[host."http://cache.internal"]');
    expect(files.get("_default")).not.toContain("server =");
    // containerd 1.6 wants a [host] table: a registry without mirrors is its own host.
    expect(files.get("registry.internal")).toContain('server = "https://registry.internal"\nskip_verify = true\n\n[host."https://registry.internal"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n');
  });

  test("credentials go to the CRI plugin's registry configs, keyed by host", () => {
    const section = criRegistrySection(parseRegistries(K3S_EXAMPLE), "/d/certs.d");
    expect(section).toContain('config_path = "/d/certs.d"');
    expect(section).toContain('[plugins."io.containerd.grpc.v1.cri".registry.configs."mirror.example.com:5000".auth]\n      username = "alice"\n      password = "s3cret"');
    expect(section).not.toContain("registry.internal");
  });

  test.each([
    ["mirrors:\n  docker.io:\n    endpoint: [x]\n    rewrite:\n      '^(.*)': 'lib/$1'\n", "mirrors.docker.io.rewrite: not supported"],
    ["mirrors:\n  docker.io:\n    endpoints: [x]\n", "mirrors.docker.io.endpoints: unknown field"],
    ["mirrors:\n  docker.io:\n    endpoint: ['ftp://x']\n", "mirrors.docker.io.endpoint[0]"],
    ["configs:\n  r.io:\n    tls:\n      cert_file: /a\n", "configs.r.io.tls: cert_file and key_file go together"],
    ["configs:\n  r.io:\n    tls:\n      insecure_skip_verify: yes please\n", "configs.r.io.tls.insecure_skip_verify"],
    ["configs:\n  r.io:\n    auth:\n      token: x\n", "configs.r.io.auth.token: unknown field"],
    ["wat: 1\n", ".wat: unknown field"],
    ["- a\n", "must be a mapping"],
  ])("refused, naming the field: %s", (text, want) => {
    expect(() => parseRegistries(text)).toThrow(want);
  });

  test("an empty file configures nothing", () => {
    expect(parseRegistries("")).toEqual({ mirrors: {}, configs: {} });
  });
});

describe("watching registries.yaml", () => {
  test("a changed file is applied; one that can't be used is logged and the settings in force stay", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubun-rg-watch-"));
    const file = join(dir, "registries.yaml");
    writeFileSync(file, "");
    const applied: Registries[] = [];
    const logs: string[] = [];
    const stop = watchRegistries(file, { setRegistries: async (r) => (applied.push(r), false) }, (m) => logs.push(m), 20);
    try {
      writeFileSync(file, "mirrors:\n  docker.io:\n    endpoint: [https://m.example.com]\n");
      await waitFor("applied", async () => applied.length === 1);
      expect(applied[0]!.mirrors["docker.io"]!.endpoint).toEqual(["https://m.example.com"]);
      writeFileSync(file, "mirrors:\n  docker.io:\n    rewrite: {}\n");
      await waitFor("refused", async () => logs.some((l) => l.includes("not applied") && l.includes("mirrors.docker.io.rewrite")));
      expect(applied).toHaveLength(1);
    } finally {
      stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
