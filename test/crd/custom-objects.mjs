// Runs under Node.js against the server named by KUBECONFIG: @kubernetes/client-node's
// CustomObjectsApi and ApiextensionsV1Api on the Website CRD of test/crd/website-crd.yaml.
// Prints one JSON line of what it saw for test/crd.test.ts to check.
import { ApiextensionsV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";

const kc = new KubeConfig();
kc.loadFromDefault();
const custom = kc.makeApiClient(CustomObjectsApi);
const ext = kc.makeApiClient(ApiextensionsV1Api);
const g = { group: "example.com", version: "v1", namespace: "default", plural: "websites" };
const out = {};

out.crdNames = (await ext.listCustomResourceDefinition()).items.map((c) => c.metadata.name);
const created = await custom.createNamespacedCustomObject({ ...g, body: { apiVersion: "example.com/v1", kind: "Website", metadata: { name: "cn" }, spec: { image: "web:1" } } });
out.defaulted = created.spec;
out.listed = (await custom.listNamespacedCustomObject({ ...g })).items.map((i) => i.metadata.name);
await custom.patchNamespacedCustomObjectStatus({ ...g, name: "cn", body: [{ op: "add", path: "/status", value: { readyReplicas: 1 } }] });
out.status = (await custom.getNamespacedCustomObject({ ...g, name: "cn" })).status;
try {
  await custom.createNamespacedCustomObject({ ...g, body: { apiVersion: "example.com/v1", kind: "Website", metadata: { name: "bad" }, spec: { image: "x", replicas: 99 } } });
} catch (err) {
  out.invalidCode = err.code ?? null;
  out.invalidBody = JSON.parse(err.body);
}
await custom.deleteNamespacedCustomObject({ ...g, name: "cn" });
out.afterDelete = (await custom.listNamespacedCustomObject({ ...g })).items.map((i) => i.metadata.name);
console.log(JSON.stringify(out));
