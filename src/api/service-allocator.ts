// Cluster IPs and node ports for Services, allocated inside the API server's write path as
// kube-apiserver's service REST storage does. On one server the claim happens synchronously
// right before the store write, so two concurrent creates can never get the same value; a failed
// write gives its claims back. The bitmaps live in memory and are rebuilt from the stored
// services at start, so a restart never hands out a taken value.
//
// Several servers on one datastore (PostgreSQL) each have their own bitmaps, kept current from
// a watch of the services — but a watch lags, so two servers could hand out one value at once.
// There each value is also reserved in the datastore before the service is written: a key per
// cluster IP and per node port (as kube-apiserver's IPAddress objects, one per cluster IP),
// created only if absent, which the datastore decides for all servers. A value another server
// reserved first is marked taken here; an automatic one is replaced by another, one the client
// asked for is refused as taken. A released value's key is deleted once its service's write
// lands; keys a crash left without a service are removed at the next start (repair).
import { fieldInvalid, internalError, invalid } from "../apis/errors.ts";
import { NODE_PORT_RANGE } from "../apis/index.ts";
import type { KubeObject, StatusCause } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import { KeyExistsError, type Store, type StoreEvent } from "../store/index.ts";
import { formatIPv4, parseIPv4, parseServiceCIDR, RangeBitmap } from "./ip-range.ts";
import type { Allocation, Allocator } from "./allocation.ts";

export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";

const ALLOCATED = "provided IP is already allocated";
const PORT_ALLOCATED = "provided port is already allocated";
/** The offset conventionally kept for cluster DNS (10.43.0.10): random allocation skips it. */
const DNS_OFFSET = 10;

type Spec = Record<string, any>;

/** What a service holds: its cluster IP (when one of ours) and node ports. */
interface Held {
  ips: number[];
  ports: number[];
}

const wantsNodePorts = (spec: Spec) => spec.type === "NodePort" || (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts !== false);

export interface ServiceAllocatorOptions {
  serviceCIDR?: string;
  nodePortRange?: { min: number; max: number };
  /** Where random allocation starts its search (tests pin it). */
  random?: () => number;
  /** A datastore other API servers write too: values are reserved in it before they are used. */
  shared?: ReservationStore;
  /** The clock of the reservations' creation times (repair spares recent ones). */
  now?: () => Date;
}

export type ReservationStore = Pick<Store, "create" | "delete" | "get" | "list">;

/** Where the datastore keeps the reservations (no API resource lives under it). */
export const RESERVATION_PREFIX = "/kubun/allocations/";
const ipKey = (ip: number) => `${RESERVATION_PREFIX}serviceips/${formatIPv4(ip)}`;
const portKey = (port: number) => `${RESERVATION_PREFIX}nodeports/${port}`;
/** Reservations younger than this may belong to a service still on its way to the store. */
const REPAIR_GRACE_MS = 10 * 60_000;
/** How often an automatic value may turn out taken by another server before the write gives up. */
const MAX_RESERVE_ATTEMPTS = 16;

export class ServiceAllocator implements Allocator {
  /** The cluster IP of the `kubernetes` service: the first address of the range. */
  readonly kubernetesServiceIP: string;
  readonly serviceCIDR: string;
  private readonly ips: RangeBitmap;
  private readonly ports: RangeBitmap;
  private readonly random: () => number;
  private readonly shared?: ReservationStore;
  private readonly now: () => Date;

  constructor(opts: ServiceAllocatorOptions = {}) {
    this.serviceCIDR = opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR;
    const range = parseServiceCIDR(this.serviceCIDR);
    const reserved = new Set([range.first, range.network + DNS_OFFSET]);
    this.ips = new RangeBitmap(range.first, range.size, reserved);
    const portRange = opts.nodePortRange ?? NODE_PORT_RANGE;
    this.ports = new RangeBitmap(portRange.min, portRange.max - portRange.min + 1);
    this.random = opts.random ?? Math.random;
    this.shared = opts.shared;
    this.now = opts.now ?? (() => new Date());
    this.kubernetesServiceIP = formatIPv4(range.first);
  }

  /** Marks what the stored services hold; call once at start, before serving writes. */
  rebuild(store: Pick<Store, "list">): void {
    for (const entry of store.list("/core/services/").items) {
      const held = this.held(entry.object);
      for (const ip of held.ips) this.ips.claim(ip);
      for (const port of held.ports) this.ports.claim(port);
    }
  }

  /**
   * On a shared datastore, after rebuild(): every value a stored service holds gets its
   * reservation (services written before reservations existed), and reservations that no service
   * holds and are older than the grace period (a server crashed between reserving and writing)
   * are removed, as kube-apiserver's repair loops do.
   */
  async repair(services: Pick<Store, "list">): Promise<{ created: number; removed: number }> {
    const shared = this.shared;
    if (!shared) return { created: 0, removed: 0 };
    const held = new Map<string, KubeObject>();
    for (const entry of services.list("/core/services/").items) {
      const h = this.held(entry.object);
      for (const ip of h.ips) held.set(ipKey(ip), entry.object);
      for (const port of h.ports) held.set(portKey(port), entry.object);
    }
    let created = 0;
    let removed = 0;
    const existing = new Set<string>();
    for (const entry of shared.list(RESERVATION_PREFIX).items) {
      existing.add(entry.key);
      if (held.has(entry.key)) continue;
      const at = Date.parse(entry.object.metadata.creationTimestamp ?? "");
      if (Number.isFinite(at) && this.now().getTime() - at < REPAIR_GRACE_MS) continue;
      if (await shared.delete(entry.key, entry.revision).then(() => true, () => false)) removed++;
    }
    for (const [key, svc] of held) {
      if (existing.has(key)) continue;
      if (await shared.create(key, this.reservation(key, svc)).then(() => true, () => false)) created++;
    }
    return { created, removed };
  }

  /** The object a reservation key holds: which value, for which service (as an IPAddress's parentRef). */
  private reservation(key: string, svc: KubeObject): KubeObject {
    return {
      apiVersion: "kubun.io/v1",
      kind: key.includes("/serviceips/") ? "ServiceIPReservation" : "NodePortReservation",
      metadata: { name: key.slice(key.lastIndexOf("/") + 1), creationTimestamp: this.now().toISOString().replace(/\.\d+Z$/, "Z") },
      spec: { parentRef: { group: "", resource: "services", namespace: svc.metadata.namespace, name: svc.metadata.name } },
    } as KubeObject;
  }

  /**
   * Follows a service write taken by another API server on the same datastore: what the service
   * holds now is marked taken, and what it held before and no longer does is free again. (Own
   * writes pass through here too; marking them again changes nothing.)
   */
  observe(event: Pick<StoreEvent, "type" | "object" | "prev">): void {
    const now = event.type === "DELETED" ? { ips: [], ports: [] } : this.held(event.object);
    const before = event.prev ? this.held(event.prev) : event.type === "DELETED" ? this.held(event.object) : { ips: [], ports: [] };
    for (const ip of now.ips) this.ips.claim(ip);
    for (const port of now.ports) this.ports.claim(port);
    for (const ip of before.ips) if (!now.ips.includes(ip)) this.ips.release(ip);
    for (const port of before.ports) if (!now.ports.includes(port)) this.ports.release(port);
  }

  isAllocatedIP(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && this.ips.has(n);
  }

  isAllocatedNodePort(port: number): boolean {
    return this.ports.has(port);
  }

  /**
   * Claims what `next` needs beyond what `current` already holds, filling in a cluster IP and
   * node ports the client left out; commit() then gives back what `current` held and `next`
   * no longer does. Throws 422 Invalid for a taken or out-of-range value the client asked for.
   */
  begin(r: ResourceInfo, next: KubeObject | undefined, current: KubeObject | undefined): Allocation | undefined {
    if (r.kind !== "Service") return undefined;
    const before = current ? this.held(current) : { ips: [], ports: [] };
    const claimedIPs: number[] = [];
    const claimedPorts: number[] = [];
    const reserved: string[] = [];
    /** The values this server chose (not asked for by the client): another may replace them. */
    const auto = { ips: new Set<number>(), ports: new Set<number>() };
    const releaseClaims = () => {
      for (const ip of claimedIPs) this.ips.release(ip);
      for (const port of claimedPorts) this.ports.release(port);
    };
    const revert = async () => {
      releaseClaims();
      // Reservations this write made go with it (a failed delete is left to repair).
      for (const key of reserved.splice(0)) await this.shared?.delete(key).catch(() => undefined);
    };
    if (next) {
      const causes: StatusCause[] = [];
      try {
        this.assignClusterIP(next, before, claimedIPs, causes, auto.ips);
        this.assignNodePorts(next, before, claimedPorts, causes, auto.ports);
      } catch (err) {
        releaseClaims();
        throw err;
      }
      if (causes.length) {
        releaseClaims();
        throw invalid("Service", next.metadata.name ?? "", causes);
      }
    }
    const shared = this.shared;
    return {
      reserve: shared && next ? () => this.reserve(shared, next, { ips: claimedIPs, ports: claimedPorts }, auto, reserved) : undefined,
      commit: async () => {
        const after = next ? this.held(next) : { ips: [], ports: [] };
        const freedIPs = before.ips.filter((ip) => !after.ips.includes(ip));
        const freedPorts = before.ports.filter((port) => !after.ports.includes(port));
        for (const ip of freedIPs) this.ips.release(ip);
        for (const port of freedPorts) this.ports.release(port);
        // The write landed: the values it let go of are free for every server again (a failed delete is left to repair).
        if (shared) for (const key of [...freedIPs.map(ipKey), ...freedPorts.map(portKey)]) await shared.delete(key).catch(() => undefined);
      },
      revert,
    };
  }

  /**
   * Reserves in the shared datastore each value this write claimed. A value another server
   * reserved first stays marked taken here; an automatic one is replaced by another free value
   * (in the object too), one the client asked for is a 422 as if this server had known.
   */
  private async reserve(shared: ReservationStore, svc: KubeObject, claimed: Held, auto: { ips: Set<number>; ports: Set<number> }, reserved: string[]): Promise<void> {
    const spec: Spec = (svc as { spec?: Spec }).spec ?? {};
    const { ips: claimedIPs, ports: claimedPorts } = claimed;
    const causes: StatusCause[] = [];
    for (let i = 0; i < claimedIPs.length; i++) {
      for (let attempt = 0; ; attempt++) {
        const ip = claimedIPs[i]!;
        if (await this.tryReserve(shared, ipKey(ip), svc, reserved)) break;
        // Taken elsewhere: it stays marked in the bitmap (not ours to release).
        claimedIPs.splice(i, 1);
        if (!auto.ips.has(ip)) {
          const field = Array.isArray(spec.clusterIPs) ? "spec.clusterIPs[0]" : "spec.clusterIP";
          causes.push(fieldInvalid(field, formatIPv4(ip), `failed to allocate IP ${formatIPv4(ip)}: ${ALLOCATED}`));
          i--;
          break;
        }
        const other = this.ips.claimRandom(this.random);
        if (other === undefined || attempt >= MAX_RESERVE_ATTEMPTS) throw internalError("failed to allocate a serviceIP: range is full");
        claimedIPs.splice(i, 0, other);
        auto.ips.add(other);
        spec.clusterIP = formatIPv4(other);
        spec.clusterIPs = [spec.clusterIP];
      }
    }
    const ports: Spec[] = Array.isArray(spec.ports) ? spec.ports : [];
    for (let i = 0; i < claimedPorts.length; i++) {
      for (let attempt = 0; ; attempt++) {
        const port = claimedPorts[i]!;
        if (await this.tryReserve(shared, portKey(port), svc, reserved)) break;
        claimedPorts.splice(i, 1);
        if (!auto.ports.has(port)) {
          ports.forEach((p, j) => p?.nodePort === port && causes.push(fieldInvalid(`spec.ports[${j}].nodePort`, port, PORT_ALLOCATED)));
          i--;
          break;
        }
        const other = this.ports.claimRandom(this.random);
        if (other === undefined || attempt >= MAX_RESERVE_ATTEMPTS) throw internalError("failed to allocate a nodePort: range is full");
        claimedPorts.splice(i, 0, other);
        auto.ports.add(other);
        // Ports of one number over several protocols share the node port they were given.
        for (const p of ports) if (p?.nodePort === port) p.nodePort = other;
      }
    }
    if (causes.length) throw invalid("Service", svc.metadata.name ?? "", causes);
  }

  private async tryReserve(shared: ReservationStore, key: string, svc: KubeObject, reserved: string[]): Promise<boolean> {
    try {
      await shared.create(key, this.reservation(key, svc));
      reserved.push(key);
      return true;
    } catch (err) {
      if (!(err instanceof KeyExistsError)) throw err;
      // Already reserved for this very service (written by another server, or a delete that
      // failed): it is this service's to use, and not this write's to give back.
      const ref = (shared.get(key)?.object as { spec?: { parentRef?: { namespace?: string; name?: string } } } | undefined)?.spec?.parentRef;
      return ref?.namespace === svc.metadata.namespace && ref?.name === svc.metadata.name;
    }
  }

  private held(svc: KubeObject): Held {
    const spec: Spec = (svc as { spec?: Spec }).spec ?? {};
    const ips: number[] = [];
    if (spec.type !== "ExternalName") {
      const ip = parseIPv4(spec.clusterIPs?.[0] ?? spec.clusterIP ?? "");
      // A range changed between restarts leaves old IPs outside of it: not ours to track.
      if (ip !== undefined && this.ips.contains(ip)) ips.push(ip);
    }
    const ports = new Set<number>();
    if (spec.type === "NodePort" || spec.type === "LoadBalancer") {
      for (const p of spec.ports ?? []) if (typeof p?.nodePort === "number" && this.ports.contains(p.nodePort)) ports.add(p.nodePort);
    }
    return { ips, ports: [...ports] };
  }

  private assignClusterIP(svc: KubeObject, before: Held, claimed: number[], causes: StatusCause[], auto: Set<number>): void {
    const spec: Spec | undefined = (svc as { spec?: Spec }).spec;
    if (!spec || spec.type === "ExternalName") return;
    const given: string = spec.clusterIPs?.[0] ?? spec.clusterIP ?? "";
    if (given === "None") return;
    if (!given) {
      const ip = this.ips.claimRandom(this.random);
      if (ip === undefined) throw internalError("failed to allocate a serviceIP: range is full");
      claimed.push(ip);
      auto.add(ip);
      spec.clusterIP = formatIPv4(ip);
      spec.clusterIPs = [spec.clusterIP];
      return;
    }
    const ip = parseIPv4(given);
    if (ip === undefined || before.ips.includes(ip)) return; // not IPv4 (validation's concern) or already ours
    const field = Array.isArray(spec.clusterIPs) ? "spec.clusterIPs[0]" : "spec.clusterIP";
    if (!this.ips.contains(ip)) {
      causes.push(fieldInvalid(field, given, `failed to allocate IP ${given}: the provided IP (${given}) is not in the valid range. The range of valid IPs is ${this.serviceCIDR}`));
    } else if (!this.ips.claim(ip)) {
      causes.push(fieldInvalid(field, given, `failed to allocate IP ${given}: ${ALLOCATED}`));
    } else claimed.push(ip);
  }

  private assignNodePorts(svc: KubeObject, before: Held, claimed: number[], causes: StatusCause[], auto: Set<number>): void {
    const spec: Spec | undefined = (svc as { spec?: Spec }).spec;
    if (!spec || (spec.type !== "NodePort" && spec.type !== "LoadBalancer")) return;
    const ports: Spec[] = Array.isArray(spec.ports) ? spec.ports : [];
    // The same nodePort may serve one port number over several protocols within a service.
    const mine = new Set(before.ports);
    ports.forEach((p, i) => {
      if (typeof p?.nodePort !== "number" || !p.nodePort || mine.has(p.nodePort)) return;
      const field = `spec.ports[${i}].nodePort`;
      if (!this.ports.contains(p.nodePort)) {
        causes.push(fieldInvalid(field, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.ports.first}-${this.ports.first + this.ports.size - 1}`));
      } else if (!this.ports.claim(p.nodePort)) causes.push(fieldInvalid(field, p.nodePort, PORT_ALLOCATED));
      else {
        claimed.push(p.nodePort);
        mine.add(p.nodePort);
      }
    });
    if (!wantsNodePorts(spec) || causes.length) return;
    for (const p of ports) {
      if (!p || p.nodePort) continue;
      const sibling = ports.find((o) => o !== p && o?.port === p.port && o.protocol !== p.protocol && o.nodePort);
      if (sibling) {
        p.nodePort = sibling.nodePort;
        continue;
      }
      const port = this.ports.claimRandom(this.random);
      if (port === undefined) throw internalError("failed to allocate a nodePort: range is full");
      claimed.push(port);
      auto.add(port);
      p.nodePort = port;
    }
  }
}
