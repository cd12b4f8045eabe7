// metrics.k8s.io/v1beta1 as metrics-server serves it (get and list of NodeMetrics and PodMetrics,
// label and field selectors), read from the MetricsWindow, and the endpoint agents report to.
//
// Push, not pull: each agent PUTs its node's usage to the API server with its own node
// credential, where metrics-server scrapes every kubelet's /metrics/resource. The agent already
// holds that credential and a connection to the server, and the node authorizer already decides
// what a node may write (here: only the report named after itself); pulling would need a
// scraping loop in the server, a client certificate for every node's endpoint and a route from
// the server to every node, which a node behind NAT does not offer. The window is the same
// either way: two samples per container, the rate between them.
import type { Context, Hono } from "hono";
import { badRequest, forbidden, notFound } from "../../apis/errors.ts";
import type { KubeObject } from "../../apis/meta.ts";
import { METRICS_GROUP, METRICS_VERSION, NODE_USAGE_PATH, type NodeMetrics, type NodeUsageReport, type PodMetrics, type UsageSample } from "../../apis/metrics/metrics.ts";
import { findResource, storeKey, type ResourceInfo } from "../../apis/registry.ts";
import { formatTime } from "../../apis/time.ts";
import type { Store } from "../../store/index.ts";
import { requestUser } from "../auth.ts";
import { nodeNameOf } from "../node-authorizer.ts";
import { buildSelector } from "../selectors.ts";
import type { Usage, MetricsWindow, PodUsage } from "./window.ts";

const PODS = findResource("", "v1", "pods")!;
const NODES = findResource("", "v1", "nodes")!;
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
const PREFIX = `/apis/${API_VERSION}`;


const cpu = (u: Usage) => `${u.cpuNanoCores}n`;
const memory = (u: Usage) => `${Math.round(u.memoryBytes / 1024)}Ki`;
const windowOf = (ms: number) => `${Number((ms / 1000).toFixed(3))}s`;

function nodeMetrics(node: KubeObject, u: Usage, now: Date): NodeMetrics {
  const labels = node.metadata.labels;
  return {
    kind: "NodeMetrics",
    apiVersion: API_VERSION,
    metadata: { name: node.metadata.name, creationTimestamp: formatTime(now), ...(labels ? { labels } : {}) },
    timestamp: formatTime(u.timeMs),
    window: windowOf(u.windowMs),
    usage: { cpu: cpu(u), memory: memory(u) },
  };
}

function podMetrics(p: PodUsage, pod: KubeObject, now: Date): PodMetrics {
  const labels = pod.metadata.labels;
  return {
    kind: "PodMetrics",
    apiVersion: API_VERSION,
    metadata: { name: p.name, namespace: p.namespace, creationTimestamp: formatTime(now), ...(labels ? { labels } : {}) },
    timestamp: formatTime(p.timeMs),
    window: windowOf(p.windowMs),
    containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: cpu(c.usage), memory: memory(c.usage) } })),
  };
}

const list = (kind: string, items: KubeObject[]) => ({ kind, apiVersion: API_VERSION, metadata: {}, items });

function isSample(x: unknown): x is UsageSample {
  const s = x as UsageSample;
  return !!s && [s.timeMs, s.cpuSeconds, s.memoryWorkingSetBytes].every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0);
}

/** The report's shape, or a 400 naming what is wrong. */
export function checkReport(body: unknown): NodeUsageReport {
  const r = body as NodeUsageReport;
  if (!r || typeof r !== "object" || r.kind !== "NodeUsageReport") throw badRequest("the body must be a kubun.io/v1 NodeUsageReport");
  if (!isSample(r.node)) throw badRequest("node: a usage sample (timeMs, cpuSeconds, memoryWorkingSetBytes) is required");
  if (!Array.isArray(r.pods)) throw badRequest("pods: must be a list");
  r.pods.forEach((p, i) => {
    if (typeof p?.namespace !== "string" || typeof p.name !== "string" || typeof p.uid !== "string" || !Array.isArray(p.containers)) {
      throw badRequest(`pods[${i}]: namespace, name, uid and containers are required`);
    }
    p.containers.forEach((c, j) => {
      if (typeof c?.name !== "string" || typeof c.id !== "string" || !isSample(c)) throw badRequest(`pods[${i}].containers[${j}]: name, id and a usage sample are required`);
    });
  });
  return r;
}

export interface MetricsRouteDeps {
  store: Store;
  window: MetricsWindow;
  now: () => Date;
}

export function metricsRoutes(app: Hono, { store, window, now }: MetricsRouteDeps): void {
  const getObj = (r: ResourceInfo, ns: string | undefined, name: string) => store.get(storeKey(r, ns, name))?.object;
  const selector = (c: Context, kind: string) => buildSelector(kind, c.req.query("labelSelector"), c.req.query("fieldSelector"));

  app.get(`${PREFIX}/nodes`, (c) => {
    const match = selector(c, "NodeMetrics");
    const items: KubeObject[] = [];
    for (const name of window.nodeNames().sort()) {
      const node = getObj(NODES, undefined, name);
      const u = window.node(name);
      if (!node || !u) continue;
      const m = nodeMetrics(node, u, now());
      if (match(m)) items.push(m);
    }
    return c.json(list("NodeMetricsList", items));
  });
  app.get(`${PREFIX}/nodes/:name`, (c) => {
    const name = c.req.param("name");
    const node = getObj(NODES, undefined, name);
    const u = window.node(name);
    if (!node || !u) throw notFound({ resource: "nodes", group: METRICS_GROUP }, name);
    return c.json(nodeMetrics(node, u, now()));
  });
  const listPods = (c: Context, namespace?: string) => {
    const match = selector(c, "PodMetrics");
    const items: KubeObject[] = [];
    for (const p of window.pods(namespace)) {
      const pod = getObj(PODS, p.namespace, p.name);
      if (!pod) continue;
      const m = podMetrics(p, pod, now());
      if (match(m)) items.push(m);
    }
    return c.json(list("PodMetricsList", items));
  };
  app.get(`${PREFIX}/pods`, (c) => listPods(c));
  app.get(`${PREFIX}/namespaces/:namespace/pods`, (c) => listPods(c, c.req.param("namespace")));
  app.get(`${PREFIX}/namespaces/:namespace/pods/:name`, (c) => {
    const { namespace, name } = c.req.param();
    const pod = getObj(PODS, namespace, name);
    const p = window.pod(namespace, name);
    if (!pod || !p) throw notFound({ resource: "pods", group: METRICS_GROUP }, name);
    return c.json(podMetrics(p, pod, now()));
  });

  // Authorization (the node authorizer) has let only the node itself, or an admin, this far.
  app.put(`${NODE_USAGE_PATH}/:node`, async (c) => {
    const nodeName = c.req.param("node");
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw badRequest("the body must be JSON");
    }
    const report = checkReport(body);
    const user = requestUser(c);
    const reporter = user && nodeNameOf(user);
    const pods = report.pods.filter((p) => {
      const pod = getObj(PODS, p.namespace, p.name);
      if (!pod || pod.metadata.uid !== p.uid) return false; // deleted meanwhile: nothing to show
      const boundTo = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      if (boundTo !== nodeName) {
        if (reporter) throw forbidden(`node ${JSON.stringify(reporter)} can only report the usage of pods bound to it; pod ${p.namespace}/${p.name} is not`);
        return false;
      }
      return true;
    });
    window.report(nodeName, { ...report, pods });
    return c.json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 200 });
  });
}
