// The typed client generated from kubun's OpenAPI document (src/client/generated/), on
// openapi-fetch: every path, parameter, body and answer is typed from the server's own schema.
// Lists the pods of a namespace, then watches ConfigMaps while it creates one and deletes it again.
//
//   export KUBECONFIG=$PWD/.data/server/admin.kubeconfig     # what `bun run up` prints
//   bun examples/generated-client.ts [namespace]
//
// test/generated-client-example.test.ts runs this file against a real server.
import { loadKubeconfig, ndjson } from "../src/client/index.ts";
import { createKubeClient, type components } from "../src/client/generated/index.ts";

type ConfigMap = components["schemas"]["io.k8s.api.core.v1.ConfigMap"];
type WatchEvent = { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"; object: ConfigMap };

const kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) throw new Error("set KUBECONFIG (kubun writes DATA_DIR/server/admin.kubeconfig)");
const { server, token, ca, namespace: contextNamespace } = loadKubeconfig(kubeconfig);
const namespace = process.argv[2] ?? contextNamespace ?? "default";
const kube = createKubeClient(server, { token, ca });

// 1. List pods. `data` is a typed PodList, or `error` the server's Status (Forbidden, NotFound ...).
const pods = await kube.GET("/api/v1/namespaces/{namespace}/pods", { params: { path: { namespace } } });
if (!pods.data) throw new Error(`list pods: ${pods.error?.message}`);
console.log(`${pods.data.items.length} pod(s) in ${namespace}`);
for (const pod of pods.data.items) console.log(`pod ${pod.metadata?.name} ${pod.status?.phase ?? "Pending"}`);

// 2. Watch ConfigMaps from the list's resourceVersion: the watch then sees every later change.
const list = await kube.GET("/api/v1/namespaces/{namespace}/configmaps", { params: { path: { namespace } } });
if (!list.data) throw new Error(`list configmaps: ${list.error?.message}`);
const stop = new AbortController();
const watch = await kube.GET("/api/v1/namespaces/{namespace}/configmaps", {
  params: { path: { namespace }, query: { watch: true, resourceVersion: list.data.metadata?.resourceVersion } },
  parseAs: "stream", // newline-delimited {"type", "object"} events, read as they arrive
  signal: stop.signal,
});
if (!watch.data) throw new Error(`watch configmaps: HTTP ${watch.response.status}`);

// 3. Create a ConfigMap; the server fills in its uid, resourceVersion and creationTimestamp.
const name = `example-${crypto.randomUUID().slice(0, 8)}`;
const created = await kube.POST("/api/v1/namespaces/{namespace}/configmaps", {
  params: { path: { namespace } },
  body: { metadata: { name, labels: { app: "generated-client-example" } }, data: { greeting: "hello" } },
});
if (!created.data) throw new Error(`create configmap: ${created.error?.message}`);
console.log(`created configmap ${namespace}/${name} at resourceVersion ${created.data.metadata?.resourceVersion}`);

// 4. Read the watch until our ConfigMap comes and goes; delete it once it has been seen.
for await (const value of ndjson(watch.data)) {
  const event = value as WatchEvent;
  if (event.object.metadata?.name !== name) continue;
  console.log(`watch: ${event.type} configmap ${namespace}/${name} data=${JSON.stringify(event.object.data)}`);
  if (event.type === "ADDED") {
    const path = { namespace, name };
    const deleted = await kube.DELETE("/api/v1/namespaces/{namespace}/configmaps/{name}", { params: { path }, body: {} }); // body: DeleteOptions
    if (deleted.error) throw new Error(`delete configmap: ${deleted.error.message}`);
  }
  if (event.type === "DELETED") break;
}
stop.abort(); // ends the watch request
