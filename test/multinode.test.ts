// Two nodes on one machine: each agent runs as a `kubun agent` process inside its own network
// namespace (a veth to a host bridge is its "NIC"), with its own containerd, CNI bridge and
// podCIDR. The agents route each other's podCIDR via the other's node IP (host-gw), so a pod on
// one node reaches a pod on the other by pod IP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ROUTE_PROTO } from "../agent/routes.ts";
import type { Pod } from "../src/apis/index.ts";
import { startNetnsCluster, type NetnsCluster, type NetnsNode as Member } from "./helpers/netns-cluster.ts";
import type { TestServer } from "./helpers/server.ts";

let cluster: NetnsCluster;
let server: TestServer;
let members: Member[];
const waitFor = <T>(what: string, fn: () => Promise<T | undefined | null | false>) => cluster.waitFor(what, fn);
const inNetns = (m: Member, cmd: string[]) => cluster.inNetns(m, cmd);

beforeAll(async () => {
  cluster = await startNetnsCluster({ tag: "mn", nodes: 2, subnet: "172.31.250", podCIDRs: ["10.213.21.0/24", "10.213.22.0/24"] });
  server = cluster.server;
  members = cluster.nodes;
}, 120_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

async function createPod(name: string, node: string, container: Record<string, unknown>): Promise<void> {
  const res = await server.api("/api/v1/namespaces/default/pods", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: "c", image: "local/busybox:1", ...container }] } }),
  });
  if (res.status !== 201) throw new Error(`create pod ${name}: ${res.status} ${await res.text()}`);
}

const runningPod = (name: string) =>
  waitFor(`pod ${name} running`, async () => {
    const p = (await (await server.api(`/api/v1/namespaces/default/pods/${name}`)).json()) as Pod;
    return p.status?.phase === "Running" && p.status.podIP ? p : null;
  });

const routes = async (m: Member) => (await inNetns(m, ["ip", "-4", "route", "show", "proto", String(ROUTE_PROTO)])).trim();
/** An HTTP GET from inside a node's network namespace (the test's own view of that node). */
const fetchFrom = (m: Member, url: string) => inNetns(m, ["curl", "-sf", "-m", "2", url]);

describe("two agents in two network namespaces", () => {
  test("each node routes the other's podCIDR via its node IP", async () => {
    const [a, b] = members as [Member, Member];
    expect(await waitFor("route on mn-1", async () => (await routes(a)).includes(b.podCIDR) && routes(a))).toContain(`${b.podCIDR} via ${b.ip}`);
    expect(await waitFor("route on mn-2", async () => (await routes(b)).includes(a.podCIDR) && routes(b))).toContain(`${a.podCIDR} via ${a.ip}`);
  }, 40_000);

  test("a pod on one node reaches a pod on the other by pod IP", async () => {
    const [a, b] = members as [Member, Member];
    await createPod("server", b.name, {});
    const target = await runningPod("server");
    expect(target.status!.podIP).toStartWith("10.213.22.");
    // The client fetches the server's page across nodes, then serves what it got.
    await createPod("client", a.name, {
      command: ["sh", "-c", `mkdir -p /www; until wget -q -O /www/index.html http://${target.status!.podIP}/; do sleep 0.3; done; exec httpd -f -p 80 -h /www`],
    });
    const client = await runningPod("client");
    expect(client.status!.podIP).toStartWith("10.213.21.");
    expect(await waitFor("the client's copy", () => fetchFrom(a, `http://${client.status!.podIP}/`))).toBe("server\n");
    // And the other way, from the server's node to the client pod.
    expect(await waitFor("client from mn-2", () => fetchFrom(b, `http://${client.status!.podIP}/`))).toBe("server\n");
  }, 60_000);

  test("a node that leaves takes its route with it", async () => {
    const [a, b] = members as [Member, Member];
    b.proc!.kill("SIGKILL");
    await b.proc!.exited;
    b.proc = undefined;
    expect((await server.api(`/api/v1/nodes/${b.name}`, { method: "DELETE" })).status).toBe(200);
    await waitFor("route gone on mn-1", async () => !(await routes(a)).includes(b.podCIDR));
  }, 30_000);
});
