// Leader election on a coordination.k8s.io Lease, as client-go's leaderelection package does
// for kube-controller-manager and kube-scheduler: every candidate tries every retry period to
// take or renew the Lease; the holder renews it; a candidate takes it over only once its record
// has not changed for a whole lease duration, timed on the candidate's own clock from when it
// observed that record (not the holder's renewTime: clocks of two machines need not agree).
//
// The holder stops acting at once when it learns it is no longer the leader: when a renewal
// finds another holder, or when it could not renew for the renew deadline (then another may
// take over once the lease duration is past, and this one must have stopped before that).
// Kubernetes' components exit then; a kubun server stops its controllers (or scheduler) and
// campaigns again, so the process and its API server stay up.
import { isAlreadyExists, isConflict, isNotFound } from "../apis/errors.ts";
import type { Lease } from "../apis/coordination/lease.ts";
import { formatMicroTime } from "../apis/time.ts";
import type { Running } from "./context.ts";
import type { KubeClient } from "./kube-client.ts";
import { resourceFor } from "./paths.ts";

export interface LeaderElectionConfig {
  /** The Lease's name in kube-system: "kube-controller-manager", "kube-scheduler". */
  name: string;
  namespace?: string;
  /** This candidate, unique in the cluster (kube's hostname_uuid). */
  identity: string;
  /** kube's --leader-elect-lease-duration (default 15 s). */
  leaseDurationMs?: number;
  /** kube's --leader-elect-renew-deadline (default 10 s): a leader that could not renew for this long stops. */
  renewDeadlineMs?: number;
  /** kube's --leader-elect-retry-period (default 2 s). */
  retryPeriodMs?: number;
  now?: () => number;
}

export const LEADER_ELECTION_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface LeaderElector extends Running {
  readonly leading: boolean;
}

const LEASES = () => resourceFor("Lease");

/**
 * Runs `lead` while this candidate holds the Lease: called each time it becomes the leader, and
 * what it returns is stopped the moment leadership is lost (or the elector is stopped).
 */
export function runLeaderElection(client: KubeClient, config: LeaderElectionConfig, lead: () => Running): LeaderElector {
  const namespace = config.namespace ?? "kube-system";
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = { ...LEADER_ELECTION_DEFAULTS, ...definedOnly(config) };
  const now = config.now ?? Date.now;
  let stopped = false;
  let running: Running | undefined;
  let stopping: Promise<void> = Promise.resolve();
  /** The record last seen, and when (on this clock) it was first seen as it is. */
  let observed: { key: string; at: number } | undefined;
  let lastRenewed = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const spec = (current: Lease["spec"], acquiring: boolean): Lease["spec"] => {
    const t = formatMicroTime(new Date(now()));
    return {
      holderIdentity: config.identity,
      leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
      acquireTime: acquiring ? t : current?.acquireTime ?? t,
      renewTime: t,
      leaseTransitions: (current?.leaseTransitions ?? 0) + (acquiring && current?.holderIdentity ? 1 : 0),
    };
  };

  /** One attempt to take or renew the Lease; true when this candidate holds it afterwards. */
  async function tryAcquireOrRenew(): Promise<boolean> {
    let lease: Lease;
    try {
      lease = await client.get<Lease>(LEASES(), namespace, config.name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await client.create<Lease>(LEASES(), namespace, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: config.name, namespace }, spec: spec(undefined, true) });
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const holder = lease.spec?.holderIdentity;
    const key = `${holder}|${lease.spec?.renewTime}|${lease.metadata.resourceVersion}`;
    if (observed?.key !== key) observed = { key, at: now() };
    const mine = holder === config.identity;
    const expired = !holder || now() - observed.at >= leaseDurationMs;
    if (!mine && !expired) return false;
    try {
      await client.update<Lease>(LEASES(), { ...lease, spec: spec(lease.spec, !mine) });
      return true;
    } catch (err) {
      if (isConflict(err)) return false; // someone else wrote it first: look again next period
      throw err;
    }
  }

  const loseLeadership = (why: string) => {
    if (!running) return;
    console.warn(`leader election: ${config.identity} lost ${namespace}/${config.name} (${why}); stopping`);
    const r = running;
    running = undefined;
    stopping = stopping.then(() => r.stop()).catch((err) => console.warn(`leader election: stopping ${config.name}:`, err));
  };

  async function tick(): Promise<void> {
    if (stopped) return;
    let holds = false;
    let failed: unknown;
    try {
      holds = await tryAcquireOrRenew();
    } catch (err) {
      failed = err;
    }
    if (stopped) return;
    if (holds) {
      lastRenewed = now();
      if (!running) {
        // A previous term's work must have stopped before a new one starts.
        await stopping;
        if (stopped) return;
        console.log(`leader election: ${config.identity} became the leader of ${namespace}/${config.name}`);
        running = lead();
      }
    } else if (running) {
      // Another holder, or no renewal for the renew deadline: stop acting now.
      if (failed === undefined) loseLeadership("another candidate holds the lease");
      else if (now() - lastRenewed >= renewDeadlineMs) loseLeadership(`no renewal for ${renewDeadlineMs} ms: ${failed instanceof Error ? failed.message : failed}`);
    }
    if (!stopped) timer = setTimeout(() => void tick(), retryPeriodMs);
  }

  // A renewal that hangs (the API server or its datastore away) must not keep a stale leader
  // acting: past the renew deadline it stops, whatever the pending request does.
  const watchdog = setInterval(() => {
    if (running && now() - lastRenewed >= renewDeadlineMs) loseLeadership(`no renewal for ${renewDeadlineMs} ms`);
  }, Math.min(retryPeriodMs, 1000));

  void tick();
  return {
    get leading() {
      return running !== undefined;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(watchdog);
      const r = running;
      running = undefined;
      await stopping;
      await r?.stop();
    },
  };
}

function definedOnly(config: LeaderElectionConfig): Partial<typeof LEADER_ELECTION_DEFAULTS> {
  const out: Partial<typeof LEADER_ELECTION_DEFAULTS> = {};
  if (config.leaseDurationMs !== undefined) out.leaseDurationMs = config.leaseDurationMs;
  if (config.renewDeadlineMs !== undefined) out.renewDeadlineMs = config.renewDeadlineMs;
  if (config.retryPeriodMs !== undefined) out.retryPeriodMs = config.retryPeriodMs;
  return out;
}
