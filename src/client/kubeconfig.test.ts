import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKubeconfig, parseKubeconfig } from "./kubeconfig.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

// The shape src/cli/data-dir.ts kubeconfig() writes (the real file is read in test/client.test.ts).
const kubeconfig = (server: string, ca: string, token: string) => `apiVersion: v1
kind: Config
clusters:
- name: kubun
  cluster:
    server: ${server}
    certificate-authority-data: ${Buffer.from(ca).toString("base64")}
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: kubun
  context:
    cluster: kubun
    user: admin
    namespace: default
current-context: kubun
`;

describe("kubeconfig", () => {
  test("reads what kubun writes", () => {
    const got = parseKubeconfig(kubeconfig("https://127.0.0.1:6443", CA, "s3cret"));
    expect(got).toEqual({ server: "https://127.0.0.1:6443", ca: CA, token: "s3cret", namespace: "default", insecure: undefined });
  });

  test("follows the named context, files relative to the kubeconfig and insecure-skip-tls-verify", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubun-kubeconfig-"));
    writeFileSync(join(dir, "ca.crt"), CA);
    writeFileSync(join(dir, "token"), "from-file\n");
    const path = join(dir, "config");
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: one
  cluster: { server: "https://one:6443/", certificate-authority: ca.crt }
- name: two
  cluster: { server: "https://two:6443", insecure-skip-tls-verify: true }
users:
- name: u1
  user: { tokenFile: token }
contexts:
- name: a
  context: { cluster: one, user: u1 }
- name: b
  context: { cluster: two, user: u1, namespace: kube-system }
`,
    );
    try {
      expect(loadKubeconfig(path)).toMatchObject({ server: "https://one:6443", ca: CA, token: "from-file", namespace: undefined });
      expect(loadKubeconfig(path, "b")).toMatchObject({ server: "https://two:6443", insecure: true, namespace: "kube-system" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ["no current context", "apiVersion: v1\nkind: Config\n", "no current-context"],
    ["an unknown context", "current-context: x\ncontexts: []\n", 'no context named "x"'],
    ["a cluster without server", "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\nclusters: [{name: c, cluster: {}}]\n", "has no server"],
  ])("rejects %s", (_name, text, message) => {
    expect(() => parseKubeconfig(text)).toThrow(message);
  });
});
