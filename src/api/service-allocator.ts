// Cluster IPs and node ports for Services, allocated inside the API server's write path as
// kube-apiserver's service REST storage does. The API server is one process and the claim
// happens synchronously right before the store write, so two concurrent creates can never get
// the same value; a failed write gives its claims back. The bitmaps live in memory and are
// rebuilt from the stored services at start, so a restart never hands out a taken value.
import { fieldInvalid, internalError, invalid } from "../apis/errors.ts";
import { NODE_PORT_RANGE } from "../apis/index.ts";
import type { KubeObject, StatusCause } from "../apis/meta.ts";
import type { ResourceInfo } from "../apis/registry.ts";
import type { Store, StoreEvent } from "../store/index.ts";
import type { Allocation, Allocator } from "./storage.ts";

export const DEFAULT_SERVICE_CIDR = "10.43.0.0/16";

const ALLOCATED = "provided IP is already allocated";
const PORT_ALLOCATED = "provided port is already allocated";
/** kube-apiserver refuses service ranges wider than this many host bits. */
const MAX_HOST_BITS = 20;
/** The offset conventionally kept for cluster DNS (10.43.0.10): random allocation skips it. */
const DNS_OFFSET = 10;

/** A contiguous range of integers and which of them are taken (kube's allocation bitmap). */
export class RangeBitmap {
  private readonly taken: Uint8Array;

  constructor(
    readonly first: number,
    readonly size: number,
    /** Values random allocation never hands out; they can still be asked for by value. */
    private readonly reserved: ReadonlySet<number> = new Set(),
  ) {
    this.taken = new Uint8Array(size);
  }

  contains(v: number): boolean {
    return Number.isInteger(v) && v >= this.first && v < this.first + this.size;
  }

  has(v: number): boolean {
    return this.contains(v) && this.taken[v - this.first] === 1;
  }

  /** Takes `v`; false when it is taken already (or outside the range). */
  claim(v: number): boolean {
    if (!this.contains(v) || this.has(v)) return false;
    this.taken[v - this.first] = 1;
    return true;
  }

  /** Takes a free value, searching from a random offset; undefined when the range is full. */
  claimRandom(random: () => number): number | undefined {
    const start = Math.floor(random() * this.size);
    for (let i = 0; i < this.size; i++) {
      const v = this.first + ((start + i) % this.size);
      if (!this.reserved.has(v) && this.claim(v)) return v;
    }
    return undefined;
  }

  release(v: number): void {
    if (this.contains(v)) this.taken[v - this.first] = 0;
  }
}

export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

export const formatIPv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** The usable addresses of an IPv4 CIDR: without the network and broadcast addresses. */
export function parseServiceCIDR(cidr: string): { network: number; first: number; size: number } {
  const [ip, bits] = cidr.split("/");
  const network = parseIPv4(ip ?? "");
  const prefix = Number(bits);
  if (network === undefined || !Number.isInteger(prefix) || prefix < 32 - MAX_HOST_BITS || prefix > 30) {
    throw new Error(`invalid service CIDR ${cidr}: want an IPv4 range from /${32 - MAX_HOST_BITS} to /30`);
  }
  const hostBits = 32 - prefix;
  if (network % 2 ** hostBits !== 0) throw new Error(`invalid service CIDR ${cidr}: host bits set`);
  return { network, first: network + 1, size: 2 ** hostBits - 2 };
}

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
}

export class ServiceAllocator implements Allocator {
  /** The cluster IP of the `kubernetes` service: the first address of the range. */
  readonly kubernetesServiceIP: string;
  readonly serviceCIDR: string;
  private readonly ips: RangeBitmap;
  private readonly ports: RangeBitmap;
  private readonly random: () => number;

  constructor(opts: ServiceAllocatorOptions = {}) {
    this.serviceCIDR = opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR;
    const range = parseServiceCIDR(this.serviceCIDR);
    const reserved = new Set([range.first, range.network + DNS_OFFSET]);
    this.ips = new RangeBitmap(range.first, range.size, reserved);
    const portRange = opts.nodePortRange ?? NODE_PORT_RANGE;
    this.ports = new RangeBitmap(portRange.min, portRange.max - portRange.min + 1);
    this.random = opts.random ?? Math.random;
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
    const revert = () => {
      for (const ip of claimedIPs) this.ips.release(ip);
      for (const port of claimedPorts) this.ports.release(port);
    };
    if (next) {
      const causes: StatusCause[] = [];
      try {
        this.assignClusterIP(next, before, claimedIPs, causes);
        this.assignNodePorts(next, before, claimedPorts, causes);
      } catch (err) {
        revert();
        throw err;
      }
      if (causes.length) {
        revert();
        throw invalid("Service", next.metadata.name ?? "", causes);
      }
    }
    const after = next ? this.held(next) : { ips: [], ports: [] };
    return {
      commit: () => {
        for (const ip of before.ips) if (!after.ips.includes(ip)) this.ips.release(ip);
        for (const port of before.ports) if (!after.ports.includes(port)) this.ports.release(port);
      },
      revert,
    };
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

  private assignClusterIP(svc: KubeObject, before: Held, claimed: number[], causes: StatusCause[]): void {
    const spec: Spec | undefined = (svc as { spec?: Spec }).spec;
    if (!spec || spec.type === "ExternalName") return;
    const given: string = spec.clusterIPs?.[0] ?? spec.clusterIP ?? "";
    if (given === "None") return;
    if (!given) {
      const ip = this.ips.claimRandom(this.random);
      if (ip === undefined) throw internalError("failed to allocate a serviceIP: range is full");
      claimed.push(ip);
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

  private assignNodePorts(svc: KubeObject, before: Held, claimed: number[], causes: StatusCause[]): void {
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
      p.nodePort = port;
    }
  }
}
