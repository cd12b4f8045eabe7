// The security fields a pod asks for, seen from inside real containers on containerd: the
// user and groups (`id`), capabilities and no_new_privs and seccomp (/proc/self/status), a
// read-only root, and runAsNonRoot refused on a root image with kubelet's message.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Pod } from "../src/apis/index.ts";
import { startAgentCluster, type AgentCluster } from "./helpers/agent-cluster.ts";
import { waitFor } from "./helpers/wait.ts";

let c: AgentCluster;
beforeAll(async () => {
  c = await startAgentCluster({ logPort: 0 });
}, 60_000);
afterAll(async () => {
  await c?.close();
}, 60_000);

const IMAGE = "local/busybox:1";
const pod = async (name: string) => (await (await c.server.api(`/api/v1/namespaces/default/pods/${name}`)).json()) as Pod;

test("runAsUser/Group, supplementalGroups, fsGroup, capabilities, no_new_privs, seccomp and a read-only root apply inside the container", async () => {
  await c.createPod("locked", {
    securityContext: { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "c",
        image: IMAGE,
        command: ["sh", "-c", "id; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; touch /probe 2>/dev/null && echo root-writable || echo root-readonly; sleep 3600"],
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
      },
    ],
  });
  const log = await waitFor("the container's report", async () => {
    const res = await c.server.api("/api/v1/namespaces/default/pods/locked/log");
    const text = res.ok ? await res.text() : "";
    return text.includes("root-") ? text : null;
  });
  expect(log).toMatch(/uid=1000 gid=3000 groups=(?=.*\b2000\b)(?=.*\b4000\b)/);
  expect(log).toMatch(/CapEff:\s+0000000000000000/);
  expect(log).toMatch(/NoNewPrivs:\s+1/);
  expect(log).toMatch(/Seccomp:\s+2/);
  expect(log).toContain("root-readonly");
});

test("a privileged container gets every capability and seccomp Unconfined leaves it unfiltered", async () => {
  await c.createPod("priv", {
    containers: [{ name: "c", image: IMAGE, command: ["sh", "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status; echo done; sleep 3600"], securityContext: { privileged: true, seccompProfile: { type: "Unconfined" } } }],
  });
  let status = "";
  const log = await waitFor("the container's report", async () => {
    status = JSON.stringify((await pod("priv")).status?.containerStatuses);
    const res = await c.server.api("/api/v1/namespaces/default/pods/priv/log");
    const text = res.ok ? await res.text() : "";
    return text.includes("done") ? text : null;
  }, { detail: () => status, timeoutMs: 15_000 });
  expect(log).not.toMatch(/CapEff:\s+0000000000000000/);
  expect(log).toMatch(/Seccomp:\s+0/);
});

test("runAsNonRoot on a root image is refused with kubelet's CreateContainerConfigError", async () => {
  await c.createPod("nonroot", { securityContext: { runAsNonRoot: true }, containers: [{ name: "c", image: IMAGE, command: ["sleep", "3600"] }] });
  const waiting = await waitFor("the container waiting", async () => {
    const w = (await pod("nonroot")).status?.containerStatuses?.[0]?.state?.waiting;
    return w?.reason === "CreateContainerConfigError" ? w : null;
  });
  expect(waiting.message).toStartWith("container has runAsNonRoot and image will run as root (pod: ");
});
