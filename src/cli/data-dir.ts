// The server's data directory: SQLite state, the cluster CA, the serving certificate and the
// client certificate for agents, the admin and join tokens, and an admin kubeconfig — created
// on first start, reused after.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { APISERVER_KUBELET_CLIENT } from "../../agent/endpoint-tls.ts";
import { certificateHosts } from "../pki/hosts.ts";
import type { IssueOptions, KeyPairPem } from "../pki/certificates.ts";

// The certificate issuer (@peculiar/x509 with its ASN.1 and dependency-injection libraries) loads
// when a certificate is made: a server restarting on its data dir only reads its PEM files.
const createCA = async () => (await import("../pki/certificates.ts")).createCA();
const issueCertificate = async (ca: KeyPairPem, opts: IssueOptions) => (await import("../pki/certificates.ts")).issueCertificate(ca, opts);

export interface ClusterFiles {
  dataDir: string;
  dbPath: string;
  ca: KeyPairPem;
  serving: KeyPairPem;
  /** What the API server presents to agents (kube-apiserver-kubelet-client): their endpoints take no other client. */
  kubeletClient: KeyPairPem;
  adminToken: string;
  joinToken: string;
  kubeconfigPath: string;
}

const randomToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");

function readOrCreate(path: string, make: () => string): string {
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

async function readOrCreatePair(dir: string, name: string, make: () => Promise<KeyPairPem>): Promise<KeyPairPem> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (existsSync(cert) && existsSync(key)) return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
  const pair = await make();
  writeFileSync(cert, pair.cert);
  writeFileSync(key, pair.key, { mode: 0o600 });
  return pair;
}

/** Names the serving certificate must cover: loopback, the host name, the bind address or every local address. */
export function servingHosts(bind: string): string[] {
  const hosts = new Set(["127.0.0.1", "localhost", "::1", hostname()]);
  if (bind === "0.0.0.0" || bind === "::") {
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) hosts.add(a.address);
  } else hosts.add(bind);
  return [...hosts];
}

export function kubeconfig(server: string, caPem: string, token: string, user = "admin"): string {
  const ca = Buffer.from(caPem).toString("base64");
  return `apiVersion: v1
kind: Config
clusters:
- name: kubun
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: kubun
  context:
    cluster: kubun
    user: ${user}
    namespace: default
current-context: kubun
`;
}

/** `tlsSANs`: more names the serving certificate covers (k3s's --tls-san), such as a load balancer's address. */
export async function prepareDataDir(dataDir: string, bind: string, tlsSANs: readonly string[] = []): Promise<Omit<ClusterFiles, "kubeconfigPath">> {
  const tls = join(dataDir, "tls");
  mkdirSync(tls, { recursive: true, mode: 0o700 });
  const ca = await readOrCreatePair(tls, "ca", () => createCA());
  const hosts = [...new Set([...servingHosts(bind), ...tlsSANs])];
  let serving = await readOrCreatePair(tls, "serving", () => issueCertificate(ca, { commonName: "kube-apiserver", hosts, usage: "server" }));
  const covered = new Set(certificateHosts(serving.cert));
  if (hosts.some((h) => !covered.has(h))) {
    // A new address (or bind) since the certificate was made: reissue rather than fail TLS checks.
    serving = await issueCertificate(ca, { commonName: "kube-apiserver", hosts, usage: "server" });
    writeFileSync(join(tls, "serving.crt"), serving.cert);
    writeFileSync(join(tls, "serving.key"), serving.key, { mode: 0o600 });
  }
  const kubeletClient = await readOrCreatePair(tls, "apiserver-kubelet-client", () =>
    issueCertificate(ca, { commonName: APISERVER_KUBELET_CLIENT, organization: "system:masters", usage: "client" }),
  );
  return {
    dataDir,
    dbPath: join(dataDir, "state.db"),
    ca,
    serving,
    kubeletClient,
    adminToken: readOrCreate(join(dataDir, "admin.token"), randomToken),
    joinToken: readOrCreate(join(dataDir, "join.token"), () => `K10${randomToken()}`),
  };
}
