// `kubun server`: the control plane in one process — store, API server, controller manager
// and scheduler. The controllers and the scheduler talk to the API server only through its
// HTTPS API, with their own client, exactly as they do when run alone.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { AuthenticatorChain, GROUP_BOOTSTRAPPERS, GROUP_MASTERS, StaticTokens } from "../api/auth.ts";
import { AuthorizerChain, mastersAuthorizer } from "../api/authz.ts";
import { NodeAuthorizer } from "../api/node-authorizer.ts";
import { RBACAuthorizer } from "../api/rbac.ts";
import { ensureBootstrapPolicy } from "../api/rbac-bootstrap.ts";
import { NodeTokens } from "../api/tokens-node.ts";
import { componentTokens } from "../api/tokens-static.ts";
import { loadSigningKey, ServiceAccountTokens } from "../api/tokens.ts";
import type { KubeObject } from "../apis/meta.ts";
import { findResource, groupVersion, RESOURCES, storePrefix } from "../apis/registry.ts";
import { objectKey } from "../api/storage.ts";
import { createApp } from "../api/app.ts";
import { ServerHealth } from "../api/health.ts";
import { CRDRegistrar } from "../api/crd/index.ts";
import type { LimitOptions } from "../api/limits.ts";
import { DEFAULT_POD_SECURITY, type PodSecurityConfig } from "../api/pod-security/index.ts";
import { advertiseAddress, bestEffortWrite, ensureDefaultNamespaces, ensureDefaultStorageClass, ensureKubernetesService, ensureSystemPriorityClasses } from "../api/bootstrap.ts";
import { agentLogs } from "../api/pod-logs.ts";
import { startEndpointReconciler } from "../api/apiserver-endpoints.ts";
import { agentStreams, streamingWebSocket } from "../api/streaming.ts";
import { ServiceAllocator } from "../api/service-allocator.ts";
import { NodeCIDRGuard } from "../api/node-cidr-guard.ts";
import { allocators } from "../api/allocation.ts";
import { Storage } from "../api/storage.ts";
import { KubeClient, runLeaderElection, SharedInformerFactory, type LeaderElectionConfig } from "../client/index.ts";
import { createControllerContext, startControllerManager, type ControllerManagerOptions } from "../controllers/manager.ts";
import { startScheduler, type SchedulerOptions } from "../scheduler/scheduler.ts";
import { madeByStore, recentEventLines, SqliteStore, type ServerStore } from "../store/index.ts";
import { loadSchedulerModule } from "../scheduler/wasm-loader.ts";
import { loadOrCreateKey, secretsEncryption } from "../store/encryption.ts";
import { IdleCollector, type IdleCollectorOptions } from "./idle-collector.ts";
import { fetchBootstrap, serverToken, storeBootstrap } from "./cluster-bootstrap.ts";
import { kubeconfig, prepareDataDir, type ClusterFiles } from "./data-dir.ts";
import type { AuditOptions } from "../api/audit/middleware.ts";
import { openAuditLog } from "../api/audit/log-writer.ts";
import { parsePolicy } from "../api/audit/policy.ts";

export interface ServerOptions {
  dataDir: string;
  port: number;
  bind?: string;
  /** Revisions of history kept for watches to resume from. */
  history?: number;
  /** "normal" trades power-loss durability for speed (process crashes still lose nothing). */
  synchronous?: "full" | "normal";
  /** Run the controller manager in this process (default true). */
  controllers?: boolean | ControllerManagerOptions;
  /** Run the scheduler in this process (default true). */
  scheduler?: boolean | SchedulerOptions;
  /** Max in-flight requests and per-user rate limits (src/api/limits.ts DEFAULT_LIMITS). */
  limits?: LimitOptions;
  /** How long an Event lives after its last write (kube-apiserver's --event-ttl; default 3600 s). */
  eventTTLSeconds?: number;
  /** Where Services' cluster IPs come from (default 10.43.0.0/16; its first IP is the `kubernetes` service's). */
  serviceCIDR?: string;
  /** The control plane's clock: timestamps, Event leases, controllers (default the wall clock; tests pass their own). */
  now?: () => Date;
  /** The audit log (kube-apiserver's --audit-log-path, --audit-policy-file, --audit-log-maxsize, --audit-log-maxbackup). */
  audit?: { logPath: string; policyFile?: string; maxSizeMB?: number; maxBackups?: number };
  /** PodSecurity admission's defaults and exemptions (default: privileged everywhere, as upstream). */
  podSecurity?: PodSecurityConfig;
  /** How long stop() keeps serving with /readyz failing before it closes (kube-apiserver's --shutdown-delay-duration; default 0). */
  shutdownDelaySeconds?: number;
  /** The event-loop stall that makes /livez fail (default 10 s; tests shorten it). */
  maxEventLoopStallMs?: number;
  /**
   * postgres://USER:PASS@HOST:PORT/DB[?sslmode=...] (k3s's --datastore-endpoint): the state is
   * kept there instead of DIR/state.db, and every server given the same one serves one cluster.
   */
  datastoreEndpoint?: string;
  /** The cluster token a server joins an existing datastore's cluster with (default DIR/server.token). */
  token?: string;
  /**
   * Controllers and scheduler act only while holding their Lease in kube-system
   * (kube-controller-manager, kube-scheduler), as kube's --leader-elect: on by default with a
   * datastore endpoint, where other servers run them too; off by default on SQLite (one server).
   */
  leaderElection?: boolean | Pick<LeaderElectionConfig, "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs">;
  /** More names or addresses the serving certificate covers (k3s's --tls-san): a load balancer in front of several servers. */
  tlsSANs?: string[];
  /** A full collection once the server is quiet after a burst of work (idle-collector.ts; default on), or false. */
  idleCollection?: IdleCollectorOptions | false;
}

export interface RunningServer extends ClusterFiles {
  url: string;
  port: number;
  store: ServerStore;
  health: ServerHealth;
  /** The collector that returns memory after bursts, when on: its stats (bench:memory reports them). */
  idleCollector?: IdleCollector;
  /** The in-process controllers' and scheduler's shared informers, when they run (bench:memory reads their caches). */
  informers?: SharedInformerFactory;
  /**
   * Stops the in-process controllers and scheduler and lets go of them; the API keeps serving
   * (bench:memory's accounting by owner: `stopped` hears of each part once it is let go of).
   */
  stopControlPlane(stopped?: (part: string) => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

const COMPACT_EVERY_MS = 60_000;

const resourceOfKind = new Map(RESOURCES.map((r) => [`${groupVersion(r)}|${r.kind}`, r]));

/**
 * The store's copy of an object the in-process informers just decoded from the API, if it is
 * the same revision: stored objects are never mutated, so the informers keep that one rather
 * than a second copy of every pod and node (they still list and watch through the API).
 */
function storedCopy(store: ServerStore): (obj: KubeObject) => KubeObject | undefined {
  return (obj) => {
    // Already the store's own (an event line taken as a recent write's, event-lines.ts): the lookup would find it.
    if (madeByStore(obj)) return obj;
    const r = resourceOfKind.get(`${obj.apiVersion}|${obj.kind}`);
    if (!r || !obj.metadata.name) return undefined;
    const stored = store.get(objectKey(r, obj.metadata.namespace, obj.metadata.name))?.object;
    return stored && stored.metadata.resourceVersion === obj.metadata.resourceVersion && stored.apiVersion === obj.apiVersion ? stored : undefined;
  };
}

// The API refuses bodies over 3 MiB itself (content.ts), with a 413 Status naming the limit; Bun's
// own limit is set far above it, since Bun answers a body over its limit with an empty 413 before
// any handler runs. A declared length over 3 MiB is refused without reading the body, and an
// undeclared (chunked) one stops being read at 3 MiB, so this bound costs no memory.
const TRANSPORT_BODY_LIMIT = 1024 * 1024 * 1024;

/** The audit log's policy and file, or an error naming what is wrong with them. */
function openAudit(opts: ServerOptions["audit"]): AuditOptions | undefined {
  if (!opts?.logPath) return undefined;
  // As kube-apiserver: without a policy nothing is audited, so a log path alone is a mistake worth saying.
  if (!opts.policyFile) throw new Error("--audit-log-path needs --audit-policy-file: the policy says what to log");
  let policy;
  try {
    policy = parsePolicy(readFileSync(opts.policyFile, "utf8"));
  } catch (err) {
    throw new Error(`--audit-policy-file ${opts.policyFile}: ${(err as Error).message}`);
  }
  return { policy, sink: openAuditLog({ path: opts.logPath, maxSizeMB: opts.maxSizeMB, maxBackups: opts.maxBackups }) };
}

/**
 * The data dir of a server on a shared datastore: the cluster's CA, keys and tokens from the
 * datastore when a server stored them (cluster-bootstrap.ts), else this server's, stored there
 * for the next ones.
 */
async function joinDatastore(url: string, dataDir: string, bind: string, given: string | undefined, sans: string[]): Promise<Omit<ClusterFiles, "kubeconfigPath">> {
  const token = serverToken(dataDir, given);
  if (await fetchBootstrap(url, dataDir, token)) return prepareDataDir(dataDir, bind, sans);
  const files = await prepareDataDir(dataDir, bind, sans);
  // Everything the bootstrap data holds exists before it is stored.
  loadOrCreateKey(join(dataDir, "encryption.key"));
  await loadSigningKey(join(dataDir, "tls", "service-account.jwk"));
  componentTokens(dataDir);
  // Another server stored its own first: this one now has that one's files, and starts on them.
  return (await storeBootstrap(url, dataDir, token)) ? files : prepareDataDir(dataDir, bind, sans);
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  // A missing or stale scheduler module stops the start here, before anything listens.
  if (opts.scheduler !== false) loadSchedulerModule();
  const audit = openAudit(opts.audit);
  const bind = opts.bind ?? "0.0.0.0";
  const sans = opts.tlsSANs ?? [];
  const files = opts.datastoreEndpoint ? await joinDatastore(opts.datastoreEndpoint, opts.dataDir, bind, opts.token, sans) : await prepareDataDir(opts.dataDir, bind, sans);
  // Secrets are encrypted at rest with a key created in the data dir at first start.
  const transformer = secretsEncryption(join(opts.dataDir, "encryption.key"));
  // Events stay on disk, as large clusters keep them in an etcd of their own: as many as the
  // pods, and read only by `kubectl describe` and `kubectl get events`.
  // They expire --event-ttl (default an hour) after their last write, as kube-apiserver's do:
  // the store's leases are the one mechanism that deletes them.
  const now = opts.now ?? (() => new Date());
  const events = storePrefix(findResource("", "v1", "events")!);
  const expiring = { [events]: (opts.eventTTLSeconds ?? 3600) * 1000 };
  const store: ServerStore = opts.datastoreEndpoint
    ? await (await import("../store/pg-store.ts")).PostgresStore.open(opts.datastoreEndpoint, { transformer, expiring, now: () => now().getTime() })
    : new SqliteStore(files.dbPath, { synchronous: opts.synchronous, transformer, coldResources: [events], expiring, now: () => now().getTime() });
  // On a datastore other servers share, each cluster IP and node port is also reserved in it.
  const services = new ServiceAllocator({ serviceCIDR: opts.serviceCIDR, shared: opts.datastoreEndpoint ? store : undefined, now });
  services.rebuild(store);
  await bestEffortWrite("repairing the service IP and node port reservations", () => services.repair(store));
  // Other servers on the datastore allocate cluster IPs and node ports too: follow their services.
  const serviceWatch = opts.datastoreEndpoint ? store.watch("/core/services/", store.revision, (events) => events.forEach((e) => services.observe(e))) : undefined;
  // One pod CIDR, one node, whoever writes it (the node IPAM or an agent's --pod-cidr).
  const podCIDRs = new NodeCIDRGuard({ shared: opts.datastoreEndpoint ? store : undefined, now });
  podCIDRs.rebuild(store);
  await bestEffortWrite("repairing the pod CIDR reservations", () => podCIDRs.repair(store));
  const nodeWatch = opts.datastoreEndpoint ? store.watch("/core/nodes/", store.revision, (events) => events.forEach((e) => podCIDRs.observe(e))) : undefined;
  const storage = new Storage(store, undefined, allocators(services, podCIDRs));
  await bestEffortWrite("creating the default namespaces", () => ensureDefaultNamespaces(storage));
  // CustomResourceDefinitions are served before the first request is (src/api/crd/).
  const crds = new CRDRegistrar(storage, now);
  await crds.start();
  await bestEffortWrite("creating the default storage class", () => ensureDefaultStorageClass(storage));
  await bestEffortWrite("creating the system priority classes", () => ensureSystemPriorityClasses(storage));

  // Identities (auth.ts) and what they may do (authz.ts): masters, then nodes, then RBAC.
  await bestEffortWrite("reconciling the bootstrap RBAC policy", () => ensureBootstrapPolicy(storage));
  const statics = new StaticTokens()
    .add(files.adminToken, { name: "admin", groups: [GROUP_MASTERS] })
    // The join token may only be traded for a node's own credential (tokens-node.ts).
    .add(files.joinToken, { name: "system:bootstrap:kubun", groups: [GROUP_BOOTSTRAPPERS] });
  for (const c of componentTokens(opts.dataDir)) statics.add(c.token, c.user);
  const serviceAccountTokens = new ServiceAccountTokens(await loadSigningKey(join(opts.dataDir, "tls", "service-account.jwk")), (resource, ns, name) =>
    store.get(objectKey(findResource("", "v1", resource)!, ns, name))?.object,
  );
  const nodeTokens = new NodeTokens(storage, files.ca);
  const auth = new AuthenticatorChain([statics, nodeTokens, serviceAccountTokens]);
  const rbac = new RBACAuthorizer(store);
  const authorizer = new AuthorizerChain([mastersAuthorizer, new NodeAuthorizer(store), rbac]);
  const agentTls = { ...files.kubeletClient, ca: files.ca.cert };
  // /readyz fails until the end of this function and from the start of stop() (src/api/health.ts).
  const health = new ServerHealth(store, { eventLoop: { maxStallMs: opts.maxEventLoopStallMs } });
  const app = createApp({ health, storage, now, auth, authorizer, ruleResolver: rbac, audit, serviceAccountTokens, nodeTokens, logs: agentLogs(storage, agentTls), streams: agentStreams(storage, agentTls), limits: opts.limits, podSecurityConfig: opts.podSecurity ?? DEFAULT_POD_SECURITY });
  const server = Bun.serve({
    hostname: bind,
    port: opts.port,
    fetch: app.fetch, // Bun passes the server as fetch's second argument: Hono's c.env, for WebSocket upgrades
    websocket: streamingWebSocket,
    tls: { cert: files.serving.cert, key: files.serving.key },
    idleTimeout: 0, // watches stay open for as long as the client wants
    maxRequestBodySize: TRANSPORT_BODY_LIMIT,
  });
  const port = server.port!;
  const url = `https://127.0.0.1:${port}`;
  await bestEffortWrite("updating the kubernetes service", () => ensureKubernetesService(storage, { clusterIP: services.kubernetesServiceIP, address: advertiseAddress(bind), port }));
  // Several servers on one datastore: the kubernetes endpoints list every live one (apiserver-endpoints.ts).
  const endpoints = opts.datastoreEndpoint ? startEndpointReconciler(storage, { address: advertiseAddress(bind), port }) : undefined;
  const kubeconfigPath = join(opts.dataDir, "admin.kubeconfig");
  await bestEffortWrite("writing the kubeconfig files", () => {
    writeFileSync(kubeconfigPath, kubeconfig(url, files.ca.cert, files.adminToken), { mode: 0o600 });
    for (const c of componentTokens(opts.dataDir)) {
      writeFileSync(join(opts.dataDir, `${c.name}.kubeconfig`), kubeconfig(url, files.ca.cert, c.token, c.user.name), { mode: 0o600 });
    }
  });

  // Controllers and scheduler share one client and one set of informers, as kube's do per process.
  // Like kube-apiserver's loopback client they reach the API from inside the process, here over a
  // unix socket in a private (0700) directory: the same handlers, token and authorization, without
  // TLS between two halves of one process.
  let controllers: { stop(stopped?: (part: string) => Promise<void>): Promise<void> } | undefined;
  let informers: SharedInformerFactory | undefined;
  if (opts.controllers !== false || opts.scheduler !== false) {
    const loopbackDir = mkdtempSync(join(tmpdir(), "kubun-loopback-"));
    const socketPath = join(loopbackDir, "api.sock");
    // idleTimeout 0 keeps quiet watches open; Bun honours it on unix sockets too, though its
    // types offer it only for TCP servers.
    const loopbackOptions = { unix: socketPath, fetch: app.fetch, idleTimeout: 0, maxRequestBodySize: TRANSPORT_BODY_LIMIT };
    const loopback = Bun.serve(loopbackOptions as Omit<typeof loopbackOptions, "idleTimeout">);
    const client = new KubeClient({ server: "http://localhost", socketPath, token: files.adminToken, userAgent: "kubun-control-plane" });
    const ctx = { ...createControllerContext(client, { now }), informers: new SharedInformerFactory(client, { intern: storedCopy(store), internLine: recentEventLines(store) }) };
    const running: { name: string; part: { stop(): Promise<void> } }[] = [];
    const election = opts.leaderElection ?? opts.datastoreEndpoint !== undefined;
    // kube's hostname_uuid, with the port: which of several servers on one host leads shows in the Lease.
    const identity = `${hostname()}:${port}_${randomUUID()}`;
    const elected = (name: string, start: () => { stop(): Promise<void> }) =>
      election ? runLeaderElection(client, { name, identity, ...(typeof election === "object" ? election : {}) }, start) : start();
    if (opts.controllers !== false) {
      const cmOptions = typeof opts.controllers === "object" ? opts.controllers : {};
      running.push({ name: "kube-controller-manager", part: elected("kube-controller-manager", () => startControllerManager(ctx, cmOptions)) });
    }
    if (opts.scheduler !== false) {
      const schedulerOptions = typeof opts.scheduler === "object" ? opts.scheduler : {};
      running.push({ name: "kube-scheduler", part: elected("kube-scheduler", () => startScheduler(ctx, schedulerOptions)) });
    }
    ctx.informers.start();
    informers = ctx.informers;
    controllers = {
      async stop(stopped) {
        // Each part let go of once stopped (`stopped` hears of it: bench:memory measures what it held).
        for (const r of running) {
          await r.part.stop();
          r.part = { stop: async () => {} };
          await stopped?.(r.name);
        }
        await ctx.informers.stop();
        await ctx.flushEvents();
        await client.close();
        await loopback.stop(true);
        rmSync(loopbackDir, { recursive: true, force: true });
      },
    };
  }

  const history = opts.history ?? 10_000;
  // A compaction that fails is retried on the next tick; it must never take the server down.
  const compact = () => bestEffortWrite("compaction", () => store.compact(store.revision - history));
  const expire = () => bestEffortWrite("expiring events", () => store.expire());
  const compactor = setInterval(
    () =>
      expire()
        .then(compact)
        .catch((err) => console.error(`kubun server: expiry or compaction failed: ${err instanceof Error ? err.message : err}`)),
    COMPACT_EVERY_MS,
  );

  const idleCollector = opts.idleCollection === false ? undefined : new IdleCollector(opts.idleCollection || {}).start();
  let stopped = false;
  health.markStarted();
  return {
    ...files,
    kubeconfigPath,
    url,
    port,
    store,
    health,
    idleCollector,
    informers,
    async stopControlPlane(stopped) {
      const c = controllers;
      controllers = undefined;
      await c?.stop(stopped);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      health.markShuttingDown();
      // Load balancers polling /readyz see it fail and stop sending before the listener closes.
      if (opts.shutdownDelaySeconds) await Bun.sleep(opts.shutdownDelaySeconds * 1000);
      health.stop();
      clearInterval(compactor);
      idleCollector?.stop();
      await controllers?.stop();
      await endpoints?.stop().catch(() => {});
      crds.stop();
      await server.stop(true);
      rbac.close();
      serviceWatch?.close();
      nodeWatch?.close();
      audit?.sink.close();
      await store.close();
    },
  };
}
