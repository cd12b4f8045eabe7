// The controller over an in-memory API (a small fake ListWatchSource) and a fake backend that
// records each RuleSet: what it applies follows policies and pods as they change, a pod that
// goes loses its chains, a failed apply is retried, and the proxy's question is answered from
// the same compiled policies.
import { afterEach, expect, test } from "bun:test";
import type { KubeObject } from "../../src/apis/meta.ts";
import type { ResourceInfo } from "../../src/apis/registry.ts";
import type { ListWatchSource } from "../../src/client/index.ts";
import { startNetworkPolicyController, type RunningNetworkPolicyController } from "./controller.ts";
import type { PolicyBackend } from "./iptables.ts";
import { agentId, names, podChain, type RuleSet } from "./rules.ts";

type Listener = (e: { type: "ADDED" | "MODIFIED" | "DELETED"; object: KubeObject }) => void;

/** Objects by kind, with watchers told of every change: the API as informers see it. */
class FakeApi implements ListWatchSource {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly watchers = new Map<string, Set<Listener>>();
  private rv = 1;

  listerWatcher<T extends KubeObject>(r: ResourceInfo) {
    const kind = r.kind;
    return {
      list: async () => ({ apiVersion: "v1", kind: `${kind}List`, metadata: { resourceVersion: String(this.rv) }, items: [...(this.objects.get(kind)?.values() ?? [])] as T[] }),
      watch: (_o: unknown, onEvent: (e: never) => void, signal: AbortSignal) =>
        new Promise<void>((resolve) => {
          const l: Listener = (e) => onEvent(e as never);
          if (!this.watchers.has(kind)) this.watchers.set(kind, new Set());
          this.watchers.get(kind)!.add(l);
          signal.addEventListener("abort", () => (this.watchers.get(kind)!.delete(l), resolve()));
        }),
    };
  }

  put(kind: string, obj: KubeObject): void {
    const key = `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`;
    if (!this.objects.has(kind)) this.objects.set(kind, new Map());
    const type = this.objects.get(kind)!.has(key) ? "MODIFIED" : "ADDED";
    obj.metadata.resourceVersion = String(++this.rv);
    this.objects.get(kind)!.set(key, obj);
    for (const l of this.watchers.get(kind) ?? []) l({ type, object: obj });
  }

  remove(kind: string, obj: KubeObject): void {
    this.objects.get(kind)?.delete(`${obj.metadata.namespace ?? ""}/${obj.metadata.name}`);
    obj.metadata.resourceVersion = String(++this.rv);
    for (const l of this.watchers.get(kind) ?? []) l({ type: "DELETED", object: obj });
  }
}

const pod = (name: string, node: string, ip: string, labels: Record<string, string>) => ({
  metadata: { name, namespace: "a", uid: `uid-${name}`, labels },
  spec: { nodeName: node, containers: [{ name: "c", image: "x", ports: [{ name: "web", containerPort: 80 }] }] },
  status: { phase: "Running", podIP: ip },
});
const node = (name: string, ip: string, podCIDR: string) => ({ metadata: { name }, spec: { podCIDR }, status: { addresses: [{ type: "InternalIP", address: ip }] } });
const denyDB = { metadata: { name: "db", namespace: "a" }, spec: { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: "web", protocol: "TCP" }] }] } };

let running: RunningNetworkPolicyController | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function eventually(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !fn(); i++) await Bun.sleep(10);
  if (!fn()) throw new Error(`never: ${what}`);
}

test("the applied rules follow policies and pods; a pod that goes loses its chain; failures are retried", async () => {
  const api = new FakeApi();
  api.put("Namespace", { metadata: { name: "a", labels: { "kubernetes.io/metadata.name": "a" } } });
  api.put("Node", node("n1", "192.0.2.1", "10.1.1.0/24"));
  api.put("Node", node("n2", "192.0.2.2", "10.1.2.0/24"));
  api.put("Pod", pod("db", "n1", "10.1.1.5", { app: "db" }));
  api.put("Pod", pod("web", "n2", "10.1.2.6", { app: "web" }));
  api.put("Pod", pod("other", "n2", "10.1.2.7", { app: "other" }));
  const applied: RuleSet[] = [];
  let failures = 1;
  const backend: PolicyBackend = {
    async apply(rs) {
      if (failures-- > 0) throw new Error("iptables-restore: resource busy");
      applied.push(rs);
    },
    async remove() {},
  };
  const n = names(agentId("/data/n1"));
  const dbChain = podChain(n, "uid-db", "I");
  running = await startNetworkPolicyController({ client: api, nodeName: "n1", dataDir: "/data/n1", backend, log: () => {} });
  await running.synced();
  expect(applied.at(-1)!.chains.has(dbChain)).toBe(false);
  expect(applied.at(-1)!.nat).toEqual(["-s 10.1.1.0/24 -d 10.1.2.0/24 -j ACCEPT"]);

  api.put("NetworkPolicy", denyDB);
  await eventually("db's chain", () => applied.at(-1)!.chains.has(dbChain));
  expect(running.allowsConnection("10.1.2.6", "10.1.1.5", 80, "TCP")).toBe(true);
  expect(running.allowsConnection("10.1.2.6", "10.1.1.5", 81, "TCP")).toBe(false);
  expect(running.allowsConnection("10.1.2.7", "10.1.1.5", 80, "TCP")).toBe(false);
  // A pod on another node is not this node's to filter, but the proxy still asks about it.
  expect(applied.at(-1)!.chains.has(podChain(n, "uid-web", "I"))).toBe(false);

  // A change that alters no rule (a status update) applies nothing again.
  const count = applied.length;
  api.put("Pod", { ...pod("web", "n2", "10.1.2.6", { app: "web" }), status: { phase: "Running", podIP: "10.1.2.6", hostIP: "192.0.2.2" } });
  await Bun.sleep(50);
  expect(applied.length).toBe(count);

  api.remove("Pod", pod("db", "n1", "10.1.1.5", { app: "db" }));
  await eventually("db's chain gone", () => !applied.at(-1)!.chains.has(dbChain));
  expect(running.allowsConnection("10.1.2.7", "10.1.1.5", 80, "TCP")).toBe(true);
});
