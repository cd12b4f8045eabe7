// A small operator for the Website custom resource (website-crd.yaml), written the way kubun's
// own controllers are: informers on Websites, Deployments and Services whose handlers only
// enqueue the Website's key, a rate-limited work queue, and a sync(key) that reads the caches
// and makes the world match — a Deployment and a Service owned by the Website (so the garbage
// collector removes them with it), and the Website's status (replicas, ready, selector for
// `kubectl scale` and an HPA).
//
//   kubectl apply -f examples/website-operator/website-crd.yaml
//   KUBECONFIG=... bun examples/website-operator/operator.ts
//   kubectl apply -f examples/website-operator/website.yaml
//
// test/website-operator.test.ts runs this file against a real server.
import type { KubeObject, OwnerReference } from "../../src/apis/meta.ts";
import type { ResourceInfo } from "../../src/apis/registry.ts";
import { isNotFound } from "../../src/apis/errors.ts";
import { KubeClient, objectKey, resourceFor, SharedInformerFactory, splitKey, warnUnlessConflict, WorkQueue } from "../../src/client/index.ts";

interface Website extends KubeObject {
  spec: { image: string; replicas?: number; port?: number };
  status?: { replicas?: number; readyReplicas?: number; selector?: string };
}

// A custom resource is described to the client as any resource is: its group, version, plural, kind.
const WEBSITES: ResourceInfo = {
  group: "example.com",
  version: "v1",
  resource: "websites",
  singular: "website",
  kind: "Website",
  listKind: "WebsiteList",
  namespaced: true,
  verbs: ["get", "list", "watch", "patch"],
  subresources: [{ name: "status", kind: "Website", verbs: ["get", "patch", "update"] }],
};
const DEPLOYMENTS = resourceFor("Deployment");
const SERVICES = resourceFor("Service");
const MANAGER = "website-operator";

const labelsOf = (site: Website) => ({ "example.com/website": site.metadata.name! });

const ownerRef = (site: Website): OwnerReference => ({
  apiVersion: "example.com/v1",
  kind: "Website",
  name: site.metadata.name!,
  uid: site.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});

/** The Deployment a Website wants: a pure function of the Website. */
export function desiredDeployment(site: Website): KubeObject {
  const labels = labelsOf(site);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: site.metadata.name, namespace: site.metadata.namespace, labels, ownerReferences: [ownerRef(site)] },
    spec: {
      replicas: site.spec.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "web", image: site.spec.image, ports: [{ containerPort: site.spec.port ?? 80 }] }] },
      },
    },
  } as KubeObject;
}

/** The Service in front of it. */
export function desiredService(site: Website): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: site.metadata.name, namespace: site.metadata.namespace, labels: labelsOf(site), ownerReferences: [ownerRef(site)] },
    spec: { selector: labelsOf(site), ports: [{ name: "http", port: 80, targetPort: site.spec.port ?? 80 }] },
  } as KubeObject;
}

export function startWebsiteOperator(client: KubeClient): { stop(): Promise<void> } {
  const informers = new SharedInformerFactory(client);
  const sites = informers.informerFor<Website>(WEBSITES);
  const deployments = informers.informerFor(DEPLOYMENTS);
  const services = informers.informerFor(SERVICES);
  const queue = new WorkQueue<string>();

  // Handlers only compute a key and enqueue it.
  sites.addEventHandler({ onAdd: (o) => queue.add(objectKey(o.metadata)), onUpdate: (_, o) => queue.add(objectKey(o.metadata)), onDelete: () => {} });
  const enqueueOwner = (o: KubeObject) => {
    const owner = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === "Website" && r.apiVersion === "example.com/v1");
    if (owner) queue.add(objectKey({ namespace: o.metadata.namespace, name: owner.name }));
  };
  for (const inf of [deployments, services]) inf.addEventHandler({ onAdd: enqueueOwner, onUpdate: (_, o) => enqueueOwner(o), onDelete: enqueueOwner });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const site = sites.lister.get(namespace, name);
    if (!site || site.metadata.deletionTimestamp) return; // its Deployment and Service go with it (ownerReferences)
    // Server-side apply: the operator states what it owns; the API server merges and tracks it.
    const apply = (r: ResourceInfo, obj: KubeObject) => client.patch(r, namespace, name, obj, "apply", { fieldManager: MANAGER, force: true });
    await apply(DEPLOYMENTS, desiredDeployment(site));
    await apply(SERVICES, desiredService(site));
    const d = deployments.lister.get(namespace, name) as (KubeObject & { status?: { replicas?: number; readyReplicas?: number } }) | undefined;
    const status = {
      replicas: d?.status?.replicas ?? 0,
      readyReplicas: d?.status?.readyReplicas ?? 0,
      selector: Object.entries(labelsOf(site)).map(([k, v]) => `${k}=${v}`).join(","),
    };
    if (JSON.stringify(site.status ?? {}) === JSON.stringify(status)) return;
    try {
      await client.patch(WEBSITES, namespace, name, { status }, "merge", { subresource: "status" });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  informers.start();
  const running = (async () => {
    if (!(await informers.waitForSync())) return;
    await queue.runWorkers(2, sync, { onError: warnUnlessConflict(MANAGER) });
  })();
  return {
    async stop() {
      queue.shutDown();
      await informers.stop();
      await running;
    },
  };
}

if (import.meta.main) {
  const kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) throw new Error("set KUBECONFIG (kubun writes DATA_DIR/server/admin.kubeconfig)");
  const client = KubeClient.fromKubeconfig(kubeconfig, { userAgent: MANAGER });
  const operator = startWebsiteOperator(client);
  console.log("website-operator: running");
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, async () => {
      await operator.stop();
      await client.close();
      process.exit(0);
    });
  }
}
