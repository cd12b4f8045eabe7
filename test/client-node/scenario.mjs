// Runs under Node.js (client-node's home runtime) against the server named by KUBECONFIG:
// create, list, and an informer kept across client-node's 30 s idle re-watch. Prints one JSON
// line of what it saw for test/client-node.test.ts to check.
import { AppsV1Api, CoreV1Api, KubeConfig, makeInformer } from "@kubernetes/client-node";

const kc = new KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const idleMs = Number(process.env.IDLE_MS ?? "33000");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = { created: null, listed: [], deployReplicas: null, notFoundCode: null, events: [], errors: 0 };

const created = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "cn" }, data: { a: "1" } } });
out.created = created.metadata?.uid ?? null;
out.listed = (await core.listNamespacedConfigMap({ namespace: "default" })).items.map((i) => i.metadata?.name);
const d = await apps.createNamespacedDeployment({
  namespace: "default",
  body: {
    metadata: { name: "cn-web" },
    spec: { selector: { matchLabels: { app: "cn" } }, template: { metadata: { labels: { app: "cn" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  },
});
out.deployReplicas = d.spec?.replicas ?? null;
try {
  await core.readNamespacedConfigMap({ namespace: "default", name: "absent" });
} catch (err) {
  out.notFoundCode = err.code ?? null;
}

const informer = makeInformer(kc, "/api/v1/namespaces/default/configmaps", () => core.listNamespacedConfigMap({ namespace: "default" }));
for (const verb of ["add", "update", "delete"]) informer.on(verb, (o) => out.events.push(`${verb} ${o.metadata?.name}`));
informer.on("error", () => out.errors++);
await informer.start();
const until = async (what) => {
  for (let i = 0; i < 200 && !out.events.includes(what); i++) await sleep(50);
};
await until("add cn");
await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "inf-1" } } });
await until("add inf-1");
// client-node drops and re-watches after 30 s without data; nothing may be lost or repeated across it.
await sleep(idleMs);
await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "inf-2" } } });
await core.patchNamespacedConfigMap({ namespace: "default", name: "inf-2", body: [{ op: "add", path: "/data", value: { k: "v" } }] });
await core.deleteNamespacedConfigMap({ namespace: "default", name: "inf-1" });
await until("delete inf-1");
await until("update inf-2");
await informer.stop();
console.log(JSON.stringify(out));
process.exit(0);
