// Mutual TLS between the API server and the agent's log/stream endpoint, kubelet's model: the
// agent serves a certificate the cluster CA signed for its node, and lets in only the API
// server's kube-apiserver-kubelet-client certificate — kubectl logs and exec go through; anyone
// without a client certificate of the cluster CA is turned away at the handshake, and a client
// certificate of the cluster CA with another identity gets 403.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../src/apis/index.ts";
import { createCA, issueCertificate, type KeyPairPem } from "../src/pki/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
let ca: string;
let kubeletClient: KeyPairPem;
let agentUrl: string;
beforeAll(async () => {
  c = await startAgentCluster({ logPort: 0 });
  const tls = join(c.server.tmp, "data", "tls");
  ca = readFileSync(join(tls, "ca.crt"), "utf8");
  kubeletClient = { cert: readFileSync(join(tls, "apiserver-kubelet-client.crt"), "utf8"), key: readFileSync(join(tls, "apiserver-kubelet-client.key"), "utf8") };
  agentUrl = `https://${c.agent.hostIP}:${c.agent.logPort}`;
  await c.createPod("greeter", { containers: [{ name: "main", image: "local/busybox:1", command: ["sh", "-c", "echo hello from greeter; sleep 3600"] }] });
  await waitFor("pod greeter running", async () => {
    const pod = (await (await c.server.api("/api/v1/namespaces/default/pods/greeter")).json()) as Pod;
    return pod.status?.phase === "Running" && pod.status.containerStatuses?.every((s) => s.ready);
  });
}, 60_000);
afterAll(async () => {
  await c?.close();
}, 60_000);

const logsPath = "/containerLogs/default/greeter/main";

/** Status of a request to the agent, or the error text when the connection is refused. */
async function agentGet(url: string, tls: Record<string, string>): Promise<number | string> {
  try {
    return (await fetch(url, { tls, signal: AbortSignal.timeout(5000) } as RequestInit)).status;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Whether a WebSocket to the agent's `path` opens with these TLS options. */
function openWebSocket(path: string, tls: Record<string, string>): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const ws = new WebSocket(`wss://${c.agent.hostIP}:${c.agent.logPort}${path}`, { tls, protocols: ["v5.channel.k8s.io"] } as any);
    ws.onopen = () => {
      ws.close();
      resolve(true);
    };
    ws.onerror = () => resolve(false);
    ws.onclose = () => resolve(false);
  });
}

describe("the API server reaches the agent over mutual TLS", () => {
  test("kubectl logs goes through", async () => {
    const out = await waitFor("greeter's log line", async () => {
      const r = await c.server.kubectl(["logs", "greeter"]);
      return r.code === 0 && r.stdout.includes("hello from greeter") ? r.stdout : null;
    });
    expect(out).toContain("hello from greeter");
  });

  test("kubectl exec goes through", async () => {
    const r = await c.server.kubectl(["exec", "greeter", "--", "echo", "exec over mtls"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("exec over mtls\n");
    expect(r.code).toBe(0);
  });

  test("the API server's client certificate gets an answer from the agent itself", async () => {
    const res = await fetch(`${agentUrl}${logsPath}`, { tls: { ...kubeletClient, ca } } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("hello from greeter");
  });

  test("the agent serves a certificate the cluster CA signed for its node address and name", async () => {
    const cert = new x509.X509Certificate(readFileSync(join(c.dataDir, `node-${c.agent.nodeName}.crt`), "utf8"));
    expect(await cert.verify({ publicKey: new x509.X509Certificate(ca).publicKey, signatureOnly: true })).toBe(true);
    expect(cert.subject).toBe(`CN=system:node:${c.agent.nodeName}, O=system:nodes`);
    const names = cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.items.map((n) => n.value);
    expect(names).toEqual(expect.arrayContaining([c.agent.hostIP, c.agent.nodeName]));
  });
});

describe("anyone else is refused by the agent", () => {
  test.each([
    ["no client certificate", async () => ({ ca })],
    ["a client certificate from another CA", async () => ({ ...(await issueCertificate(await createCA("other-ca"), { commonName: "kube-apiserver-kubelet-client", organization: "system:masters", usage: "client" })), ca })],
    // The cluster CA signs agents' serving certificates too; they must not open another agent's endpoint.
    ["the cluster CA's serving certificate of a node", async () => ({ cert: readFileSync(join(c.dataDir, `node-${c.agent.nodeName}.crt`), "utf8"), key: readFileSync(join(c.dataDir, `node-${c.agent.nodeName}.key`), "utf8"), ca })],
  ])("%s", async (_, tls) => {
    const answer = await agentGet(`${agentUrl}${logsPath}`, await tls());
    expect(typeof answer).toBe("string");
  });

  test("a client certificate of the cluster CA for another identity gets 403", async () => {
    const clusterCA = { cert: ca, key: readFileSync(join(c.server.tmp, "data", "tls", "ca.key"), "utf8") };
    const node = await issueCertificate(clusterCA, { commonName: `system:node:${c.agent.nodeName}`, organization: "system:nodes", usage: "client" });
    const res = await fetch(`${agentUrl}${logsPath}`, { tls: { ...node, ca } } as RequestInit);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain(`user=system:node:${c.agent.nodeName}`);
    const pod = (await (await c.server.api("/api/v1/namespaces/default/pods/greeter")).json()) as Pod;
    expect(await openWebSocket(`/exec/default/greeter/${pod.metadata.uid}/main?command=true&stdout=true`, { ...node, ca })).toBe(false);
  });

  test("plain HTTP gets no logs", async () => {
    const answer = await agentGet(`http://${c.agent.hostIP}:${c.agent.logPort}${logsPath}`, {});
    expect(answer === 200 || answer === 404 || answer === 401).toBe(false);
  });

  test.each([
    ["without a client certificate", false],
    ["with the API server's client certificate", true],
  ])("a WebSocket to exec %s opens: %p", async (_, withCert) => {
    const pod = (await (await c.server.api("/api/v1/namespaces/default/pods/greeter")).json()) as Pod;
    const opened = await openWebSocket(`/exec/default/greeter/${pod.metadata.uid}/main?command=true&stdout=true`, withCert ? { ...kubeletClient, ca } : { ca });
    expect(opened).toBe(withCert);
  });
});

describe("the node credential exchange", () => {
  const joinToken = () => readFileSync(join(c.server.tmp, "data", "join.token"), "utf8").trim();
  test.each([
    ["not a list", "10.0.0.1"],
    ["not an address", ["10.0.0.1", "not a name!"]],
    ["too many", Array.from({ length: 17 }, (_, i) => `10.0.0.${i}`)],
  ])("refuses addresses that are %s", async (_, addresses) => {
    const res = await c.server.api("/apis/kubun.io/v1/nodetokens", { method: "POST", token: joinToken(), body: JSON.stringify({ nodeName: "tls-node", addresses }) });
    expect(res.status).toBe(400);
  });

  test("hands out a serving certificate for the addresses asked for", async () => {
    const res = await c.server.api("/apis/kubun.io/v1/nodetokens", { method: "POST", token: joinToken(), body: JSON.stringify({ nodeName: "tls-node", addresses: ["10.9.8.7", "tls-node"] }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; serving: KeyPairPem };
    const cert = new x509.X509Certificate(body.serving.cert);
    expect(cert.getExtension(x509.SubjectAlternativeNameExtension)!.names.items.map((n) => n.value)).toEqual(["10.9.8.7", "tls-node"]);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
  });
});
