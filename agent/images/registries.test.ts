import { describe, expect, test } from "bun:test";
import { criRegistrySection, hostsFiles, parseRegistries } from "./registries.ts";

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
