// DaemonSets on real nodes: three agents, each in its own network namespace with its own
// containerd. One pod per node, through the scheduler; a node that leaves loses its pod and
// one that joins gets one; cordoned and tainted nodes as Kubernetes treats them; a rolling
// update, `kubectl rollout status|history|undo` over ControllerRevisions.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DaemonSet } from "../src/apis/apps/daemonset.ts";
import type { Pod } from "../src/apis/core/pod.ts";
import { startNetnsCluster, type NetnsCluster } from "./helpers/netns-cluster.ts";

let cluster: NetnsCluster;
beforeAll(async () => {
  cluster = await startNetnsCluster({
    tag: "ds",
    nodes: 3,
    subnet: "172.31.252",
    podCIDRs: ["10.213.41.0/24", "10.213.42.0/24", "10.213.43.0/24"],
    serverOptions: { controllers: { workers: 2 }, scheduler: {} },
  });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 120_000);

const kubectl = (...args: string[]) => cluster.server.kubectlOk(args);

const getDs = async () => (await (await cluster.server.api("/apis/apps/v1/namespaces/default/daemonsets/agent")).json()) as DaemonSet;

/** The running, ready, non-terminating daemon pods by node, with the VERSION env they run. */
async function podsByNode(): Promise<Record<string, string>> {
  const res = await cluster.server.api("/api/v1/namespaces/default/pods?labelSelector=app%3Dagent");
  const pods = ((await res.json()) as { items: Pod[] }).items.filter((p) => !p.metadata.deletionTimestamp);
  const out: Record<string, string> = {};
  for (const p of pods) {
    const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    out[p.spec!.nodeName ?? "-"] = `${ready ? "ready" : "not-ready"}:${p.spec!.containers[0]!.env?.find((e) => e.name === "VERSION")?.value ?? "none"}`;
  }
  return out;
}

const all = (version: string, nodes = ["ds-1", "ds-2", "ds-3"]) => Object.fromEntries(nodes.map((n) => [n, `ready:${version}`]));

async function settle(want: Record<string, string>, what: string): Promise<void> {
  await cluster.waitFor(what, async () => Bun.deepEquals(await podsByNode(), want), 90_000);
}

const manifest = {
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "agent" },
  spec: {
    selector: { matchLabels: { app: "agent" } },
    template: { metadata: { labels: { app: "agent" } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "httpd", image: "local/busybox:1" }] } },
  },
};

describe("DaemonSet on three nodes", () => {
  test("one pod per node, placed by the scheduler", async () => {
    const r = await cluster.server.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
    expect(r.stderr).toBe("");
    await settle(all("none"), "a ready pod on every node");
    await cluster.waitFor("status", async () => (await getDs()).status?.numberAvailable === 3);
    expect((await getDs()).status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberMisscheduled: 0 });
    const table = (await kubectl("get", "ds", "agent")).split("\n");
    expect(table[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    expect(table[1]).toMatch(/^agent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\d+s$/);
  }, 120_000);

  test("a node that leaves loses its pod; when it joins again it gets one", async () => {
    const third = cluster.nodes[2]!;
    third.proc!.kill("SIGKILL");
    await third.proc!.exited;
    third.proc = undefined;
    await kubectl("delete", "node", "ds-3");
    await cluster.waitFor("desired 2", async () => (await getDs()).status?.desiredNumberScheduled === 2);
    await cluster.waitFor("the gone node's pod deleted", async () => !("ds-3" in (await podsByNode())));
    await cluster.startNode(third);
    await settle(all("none"), "the rejoined node runs its pod");
  }, 150_000);

  test("a cordoned node keeps its daemon; a NoExecute taint it doesn't tolerate removes it", async () => {
    await kubectl("cordon", "ds-1");
    await kubectl("taint", "node", "ds-2", "dedicated=db:NoExecute");
    await settle(all("none", ["ds-1", "ds-3"]), "ds-2's pod gone, ds-1's kept");
    await cluster.waitFor("desired 2", async () => (await getDs()).status?.desiredNumberScheduled === 2);
    await kubectl("taint", "node", "ds-2", "dedicated=db:NoExecute-");
    await kubectl("uncordon", "ds-1");
    await settle(all("none"), "ds-2 runs a pod again");
  }, 150_000);

  test("a rolling update replaces every pod; rollout status, history and undo work", async () => {
    await kubectl("set", "env", "ds/agent", "VERSION=2");
    const status = await kubectl("rollout", "status", "ds/agent", "--timeout=90s");
    expect(status).toContain('daemon set "agent" successfully rolled out');
    await settle(all("2"), "every node runs VERSION=2");
    const history = await kubectl("rollout", "history", "ds/agent");
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    expect(await kubectl("rollout", "history", "ds/agent", "--revision=2")).toContain("VERSION:\t2");

    expect(await kubectl("rollout", "undo", "ds/agent")).toBe("daemonset.apps/agent rolled back\n");
    await kubectl("rollout", "status", "ds/agent", "--timeout=90s");
    await settle(all("none"), "every node back on the first template");
    expect(await kubectl("rollout", "history", "ds/agent")).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);

    expect(await kubectl("rollout", "restart", "ds/agent")).toBe("daemonset.apps/agent restarted\n");
    await kubectl("rollout", "status", "ds/agent", "--timeout=90s");
    expect(await kubectl("rollout", "history", "ds/agent")).toMatch(/\n4\s+<none>/);

    const missing = await cluster.server.kubectl(["rollout", "undo", "ds/agent", "--to-revision=9"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("unable to find specified revision 9 in history");
  }, 240_000);
});
