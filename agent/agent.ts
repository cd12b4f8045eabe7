// The node agent (kubelet's role): starts or joins a containerd, imports local images, registers
// the Node and keeps its Lease and status fresh, writes the CNI config for the node's podCIDR and
// runs a pod worker for every pod bound to this node.
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Node, Pod } from "../src/apis/index.ts";
import { Informer, KubeClient, resourceFor } from "../src/client/index.ts";
import { learnServers } from "./server-list.ts";
import { LOCAL_PATH_DIR_ANNOTATION } from "../src/apis/core/persistentvolume.ts";
import { advertiseLocalPathDir, localPathDir, startLocalPathDeleter } from "./node/local-path.ts";
import { nodeCredential } from "./credentials.ts";
import { bridgeName, cniConflist, removeStaleBridge } from "./cni.ts";
import { containerdPaths, startContainerd, type SupervisedContainerd } from "./containerd.ts";
import { CriClient } from "./cri/index.ts";
import { APISERVER_KUBELET_CLIENT, startClientCertGate, type ClientCertGate } from "./endpoint-tls.ts";
import { agentEventRecorder } from "./events.ts";
import { imageImporter, ImageGC, nodeImages, readRegistries, watchRegistries, type ImageGCPolicy } from "./images/index.ts";
import { agentLogHandler } from "./logs.ts";
import { agentStreaming } from "./streaming.ts";
import { every, postNodeStatus, renewLease } from "./node/heartbeat.ts";
import { addresses, capacity, defaultHostIP, systemInfo } from "./node/machine.ts";
import { nodeObject, nodeStatus } from "./node/node-status.ts";
import { registerNode, waitForPodCIDR } from "./node/registration.ts";
import { reportUsage } from "./node/stats.ts";
import { Backoff, type BackoffOptions } from "./pods/backoff.ts";
import { MANAGED_BY, MANAGED_BY_VALUE, POD_UID } from "./pods/labels.ts";
import { PodManager } from "./pods/manager.ts";
import { PullQueue } from "./pods/image-puller.ts";
import { kubePodApi } from "./pods/pod-api.ts";
import { teardownPod } from "./pods/runtime-pod.ts";
import { startHostRoutes } from "./routes.ts";
import { startNetworkPolicyController, type RunningNetworkPolicyController } from "./netpol/index.ts";
import { DEFAULT_CLUSTER_DNS_IP } from "../src/dns/index.ts";
import { loadRouteTableModule, startNodeProxy } from "../src/proxy/index.ts";

/** kubelet's and k3s's kind of default: a real registry image, so a node that reaches a registry needs nothing else. */
export const DEFAULT_SANDBOX_IMAGE = "registry.k8s.io/pause:3.10";
/** The sandbox image built from the static busybox (scripts/build-test-images.ts) for nodes without a registry. */
export const LOCAL_SANDBOX_IMAGE = "docker.io/local/pause:1";

export interface AgentOptions {
  server: string;
  /** More API servers of the cluster to fail over to (`--server` given again); more are learned from the kubernetes endpoints. */
  fallbackServers?: string[];
  token: string;
  ca?: string;
  nodeName?: string;
  dataDir: string;
  /** Use this containerd instead of starting one (its CNI config is then its own business). */
  containerdSocket?: string;
  /**
   * A fallback for when the control plane has not allocated one: set as spec.podCIDR if that is
   * empty and no other node holds an overlapping CIDR (else the agent waits for the node IPAM).
   */
  podCIDR?: string;
  nodeIP?: string;
  labels?: Record<string, string>;
  /** The pause image RunPodSandbox starts (`--pause-image`; default registry.k8s.io/pause:3.10). */
  sandboxImage?: string;
  /** One image pull at a time (kubelet's --serialize-image-pulls, default true). */
  serializeImagePulls?: boolean;
  /** How long one image pull may take (default 5 min). */
  imagePullDeadlineMs?: number;
  /** A k3s registries.yaml: mirrors and per-registry auth and TLS, rendered into containerd's config. */
  registryConfig?: string;
  /** Image garbage collection by the image filesystem's usage (percent; kubelet: 85 and 80). */
  imageGC?: ImageGCPolicy & { periodMs?: number };
  /** Further folders of image tarballs to import besides <data-dir>/images. */
  imageDirs?: string[];
  clusterDNS?: string[];
  /** Run the service proxy and cluster DNS (kube-proxy's and CoreDNS's roles) on this node (default true). */
  serviceProxy?: boolean;
  /** The proxy's host interface for ClusterIPs (default kubun-svc0): one per agent sharing a network namespace. */
  serviceInterface?: string;
  /**
   * Serve container logs, exec, attach and port-forward on this port (0: any free port) over
   * mutual TLS, to the API server's client certificate only (needs `ca`); omitted: no log server.
   */
  logPort?: number;
  backoff?: BackoffOptions;
  /** Back-off between pulls of a missing image (default 10 s doubling to 5 min, as kubelet). */
  imageBackoff?: BackoffOptions;
  /** How often configMap, secret, downwardAPI and projected volumes are re-read (default 60 s). */
  volumeRefreshMs?: number;
  syncPeriodMs?: number;
  leaseRenewMs?: number;
  statusPeriodMs?: number;
  /** How often the node's and its containers' usage goes to the API server for metrics.k8s.io (default 10 s). */
  statsPeriodMs?: number;
  /** How long to wait for spec.podCIDR before giving up. */
  podCIDRTimeoutMs?: number;
  /** Route other nodes' podCIDRs via their node IPs (host-gw); default: when the agent runs its own CNI. */
  hostRoutes?: boolean;
  /** Enforce NetworkPolicies for this node's pods with iptables/ipset; default: when the agent runs its own CNI. */
  networkPolicy?: boolean;
  /** Called on every event of this node's pods (`kubun agent` trims its compiled code when they go quiet: code-trim.ts). */
  onPodEvent?: () => void;
  log?: (msg: string) => void;
}

export interface RunningAgent {
  nodeName: string;
  podCIDR: string;
  hostIP: string;
  containerdSocket: string;
  /** PID of the containerd the agent started, if it started one. */
  containerdPid?: number;
  bridge: string;
  runtime: CriClient;
  logPort?: number;
  /**
   * Stops the agent. Pods keep running (the next agent re-adopts them) unless `removePods`, which
   * tears down every sandbox the agent made once its workers have stopped. `stopContainerd`
   * (default true) also stops the containerd it started.
   */
  stop(opts?: { stopContainerd?: boolean; removePods?: boolean }): Promise<void>;
}

const PODS = resourceFor("Pod");

async function waitForRuntime(cri: CriClient, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await cri.version();
      return `${v.runtime_name}://${v.runtime_version}`;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await Bun.sleep(100);
    }
  }
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const log = opts.log ?? ((m: string) => console.log(`agent: ${m}`));
  const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
  const dataDir = opts.dataDir;
  const hostIP = opts.nodeIP ?? defaultHostIP();
  for (const d of ["images", "pods", "logs"]) mkdirSync(join(dataDir, d), { recursive: true });
  // A missing or stale route-table.wasm fails here, before the node registers and takes pods.
  if (opts.serviceProxy ?? true) loadRouteTableModule();
  if (opts.logPort !== undefined && !opts.ca) throw new Error("the log server needs the cluster CA (--ca-file) to check the API server's client certificate");
  // The join token is traded for this node's own credential, and the log server's serving certificate.
  const logAddresses = opts.logPort !== undefined ? [hostIP, nodeName] : undefined;
  const { token, serving } = await nodeCredential({ server: opts.server, ca: opts.ca, joinToken: opts.token, nodeName, dataDir, addresses: logAddresses });
  const client = new KubeClient({ server: opts.server, fallbackServers: opts.fallbackServers, token, ca: opts.ca, userAgent: `kubun-agent/${nodeName}` });
  const cleanups: (() => Promise<void> | void)[] = [() => client.close(), learnServers(client, [opts.server, ...(opts.fallbackServers ?? [])])];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err) => log(`stopping: ${(err as Error).message}`));
  };

  try {
    const paths = containerdPaths(dataDir);
    const bridge = bridgeName(dataDir);
    let containerd: SupervisedContainerd | undefined;
    if (opts.registryConfig && opts.containerdSocket) throw new Error("--registry-config needs the agent's own containerd: configure the registries of the containerd at --containerd-socket in its own config");
    // A registries.yaml that can't be used stops the agent here, naming the field.
    const registries = opts.registryConfig ? readRegistries(opts.registryConfig) : undefined;
    if (!opts.containerdSocket) {
      containerd = await startContainerd({ paths, sandboxImage: opts.sandboxImage ?? DEFAULT_SANDBOX_IMAGE, registries, onExit: (code) => log(`containerd exited (${code}), restarting`) });
    }
    if (opts.registryConfig && containerd) cleanups.push(watchRegistries(opts.registryConfig, containerd, log));
    const socket = opts.containerdSocket ?? paths.socket;
    let stopContainerd = true;
    cleanups.push(() => (stopContainerd ? containerd?.stop() : undefined));
    const cri = new CriClient({ socket });
    cleanups.push(() => cri.close());
    const runtimeVersion = await waitForRuntime(cri, 20_000);

    const importers = [join(dataDir, "images"), ...(opts.imageDirs ?? [])].map((dir) => imageImporter({ dir, socket }));
    const importImages = async () => {
      for (const imp of importers) await imp.importNew();
    };
    await importImages();
    cleanups.push(every(10_000, async () => void (await importImages()), (e) => log(`image import: ${e}`)));

    let logServer: ClientCertGate | undefined;
    if (opts.logPort !== undefined && serving) {
      // Only the API server's client certificate gets through (kubelet's model): the TLS front
      // checks its identity, the handlers behind it need no check of their own.
      const logs = agentLogHandler({ dataDir });
      // exec, attach and portforward share the log server's port, as kubelet's server does.
      const streaming = agentStreaming({ runtime: cri, socket });
      const upstream = join(dataDir, "endpoint.sock");
      rmSync(upstream, { force: true }); // left by an agent that was killed
      const endpoint = Bun.serve({
        unix: upstream,
        fetch: (req, server) => (streaming.handles(req) ? streaming.fetch(req, server) : logs(req)),
        websocket: streaming.websocket,
      });
      chmodSync(upstream, 0o600);
      cleanups.push(() => endpoint.stop(true));
      logServer = await startClientCertGate({ port: opts.logPort, hostname: "0.0.0.0", ...serving, ca: opts.ca!, allowedCommonNames: [APISERVER_KUBELET_CLIENT], upstream });
      cleanups.push(() => logServer?.stop());
    }

    const measure = async (previous?: Node) => {
      const conditions = await cri.status().catch(() => null);
      const down = conditions === null ? "container runtime is down" : conditions.filter((c) => !c.status).map((c) => `${c.type}: ${c.message || c.reason}`).join("; ");
      const images = await cri.listImages().then(nodeImages, () => undefined);
      return nodeStatus({
        capacity: capacity(dataDir),
        addresses: addresses(hostIP, nodeName),
        nodeInfo: systemInfo(runtimeVersion),
        runtimeReady: !down,
        runtimeMessage: down || undefined,
        previous: previous?.status?.conditions,
        logPort: logServer?.port,
        images,
        now: new Date(),
      });
    };
    // The network is not ready until the CNI config exists, so the first status may say NotReady.
    let node = await registerNode(client, nodeObject(nodeName, opts.labels ?? {}, await measure()), opts.podCIDR, log);
    const podCIDR = node.spec?.podCIDR ?? (await waitForPodCIDR(client, nodeName, opts.podCIDRTimeoutMs ?? 120_000));
    if (!opts.containerdSocket) {
      await removeStaleBridge(bridge, podCIDR, log);
      const conf = cniConflist({ name: "kubun", bridge, podCIDR, ipamDir: paths.cniIpamDir, ipMasq: true });
      writeFileSync(join(paths.cniConfDir, "10-kubun.conflist"), JSON.stringify(conf, null, 2));
    }
    if (opts.hostRoutes ?? !opts.containerdSocket) cleanups.push(await startHostRoutes({ client, nodeName, log }));
    const storageDir = localPathDir(dataDir);
    await advertiseLocalPathDir(client, nodeName, storageDir, node.metadata.annotations?.[LOCAL_PATH_DIR_ANNOTATION]);
    const deleter = startLocalPathDeleter({ client, nodeName, dir: storageDir, log });
    cleanups.push(() => deleter.stop());
    node = await postNodeStatus(client, nodeName, await measure(node));
    await renewLease(client, node, 40, new Date());
    cleanups.push(every(opts.leaseRenewMs ?? 10_000, () => renewLease(client, node, 40, new Date()), (e) => log(`lease: ${e}`)));
    cleanups.push(
      every(opts.statusPeriodMs ?? 10_000, async () => void (node = await postNodeStatus(client, nodeName, await measure(node))), (e) => log(`node status: ${e}`)),
    );

    cleanups.push(every(opts.statsPeriodMs ?? 10_000, () => reportUsage(client, nodeName, cri), (e) => log(`usage report: ${e}`)));

    // The proxy comes before pods, so their first DNS query and ClusterIP connection find it.
    const serviceProxy = opts.serviceProxy ?? true;
    const clusterDNS = opts.clusterDNS ?? (serviceProxy ? [DEFAULT_CLUSTER_DNS_IP] : undefined);
    // Policies are in place before pods start and before the proxy forwards its first connection.
    let netpol: RunningNetworkPolicyController | undefined;
    let removePolicyRules = false;
    if (opts.networkPolicy ?? !opts.containerdSocket) {
      const controller = await startNetworkPolicyController({ client, nodeName, dataDir, clusterDNS: clusterDNS?.[0], log: (m) => log(`netpol: ${m}`) });
      netpol = controller;
      cleanups.push(() => controller.stop({ remove: removePolicyRules }));
      await Promise.race([controller.synced(), Bun.sleep(10_000)]);
    }
    if (serviceProxy) {
      const allowConnection = netpol && ((clientIP: string, ep: { ip: string; port: number }, protocol: string) => netpol.allowsConnection(clientIP, ep.ip, ep.port, protocol));
      const proxy = await startNodeProxy({ client, nodeIPs: [hostIP], interfaceName: opts.serviceInterface, clusterDNS: clusterDNS?.[0], allowConnection, log });
      cleanups.push(() => proxy.stop());
    }
    const informer = new Informer<Pod>(client.listerWatcher<Pod>(PODS, { fieldSelector: `spec.nodeName=${nodeName}` }), { onError: (e) => log(`pod watch: ${e}`) });
    const onPodEvent = opts.onPodEvent;
    if (onPodEvent) informer.addEventHandler({ onAdd: onPodEvent, onUpdate: onPodEvent, onDelete: onPodEvent });
    informer.start();
    cleanups.push(() => informer.stop());
    await informer.waitForSync();
    let removePods = false;
    cleanups.push(async () => {
      if (!removePods) return;
      const sandboxes = await cri.listPodSandbox({ label_selector: { [MANAGED_BY]: MANAGED_BY_VALUE } });
      for (const uid of new Set(sandboxes.map((s) => s.labels[POD_UID] ?? ""))) await teardownPod(cri, uid, 0);
    });
    const recorder = agentEventRecorder(client, nodeName, (e) => log(`event: ${e}`));
    cleanups.push(() => Promise.race([recorder.flush(), Bun.sleep(2000)]));
    const gcPolicy = opts.imageGC ?? { highPercent: 85, lowPercent: 80 };
    if (gcPolicy.highPercent < 100) {
      const nodeRef = { apiVersion: "v1", kind: "Node", metadata: { name: nodeName, uid: nodeName } };
      const gc = new ImageGC({
        images: cri,
        runtime: cri,
        policy: gcPolicy,
        // An existing containerd keeps its images under its own root (the packaged default here).
        fsPath: opts.containerdSocket ? (existsSync("/var/lib/containerd") ? "/var/lib/containerd" : "/") : paths.root,
        pinned: [opts.sandboxImage ?? DEFAULT_SANDBOX_IMAGE],
        log,
        warn: (reason, message) => recorder.event(nodeRef, "Warning", reason, message),
      });
      // kubelet's ImageGCPeriod: every 5 minutes.
      cleanups.push(every(gcPolicy.periodMs ?? 300_000, async () => void (await gc.run()), (e) => log(`image GC: ${e}`)));
    }
    const manager = new PodManager({
      runtime: cri,
      images: cri,
      api: kubePodApi(client, opts.ca),
      backoff: new Backoff(opts.backoff),
      hostIP,
      dataDir,
      syncPeriodMs: opts.syncPeriodMs ?? 1000,
      recorder,
      importImages,
      imageBackoff: opts.imageBackoff,
      pullQueue: new PullQueue(opts.serializeImagePulls === false ? Infinity : 1),
      pullDeadlineMs: opts.imagePullDeadlineMs,
      volumeRefreshMs: opts.volumeRefreshMs,
      nodeAllocatable: node.status?.allocatable,
      clusterDNS,
      log,
    });
    await manager.start(informer);
    cleanups.push(() => manager.stop());
    log(`node ${nodeName} ready: podCIDR ${podCIDR}, runtime ${runtimeVersion}`);

    return {
      nodeName,
      podCIDR,
      hostIP,
      containerdSocket: socket,
      containerdPid: containerd?.pid,
      bridge,
      runtime: cri,
      logPort: logServer?.port,
      async stop(o = {}) {
        stopContainerd = o.stopContainerd ?? true;
        removePods = o.removePods ?? false;
        // The pods' policy chains go with the pods; pods kept running keep their policies.
        removePolicyRules = removePods;
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
