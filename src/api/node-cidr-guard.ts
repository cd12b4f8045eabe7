// One pod CIDR, one node: the API server refuses a Node write that would give a node a podCIDR
// overlapping one another node holds (422 Invalid naming spec.podCIDR). Two writers set
// spec.podCIDR — the node IPAM controller and an agent's --pod-cidr fallback — and each write
// names only its own Node, so a resourceVersion precondition cannot see the other; without this
// the two could hand one /24 to two nodes and pods on both would get the same IPs.
//
// It is an Allocator of the write path (allocation.ts), as the Service allocator is: the check and
// the claim happen synchronously right before the store write, so on one server (the embedded
// SQLite store has exactly one) two concurrent writes can never both pass; a failed write gives
// its claim back, a deleted node frees its CIDRs. The table is rebuilt from the stored nodes at
// start.
//
// Several servers on PostgreSQL each keep their own table, fed by a watch of the nodes
// (observe), which lags. There each CIDR is also reserved in the datastore before the node is
// written, as the Service allocator reserves cluster IPs: a key per CIDR (its network address
// and prefix), created only if absent, which the datastore decides for all servers; a CIDR
// another node reserved first is a 422 as if this server had known. The keys are exact, so two
// *different* overlapping CIDRs (a /24 and a /16 holding it) written through two servers within
// the watch's lag can still both land; the node IPAM controller reports such a collision among
// stored nodes as a CIDRNotAvailable event. A deleted node's keys go with it; keys a crash left
// without their node are removed at the next start (repair).
import { fieldInvalid, invalid } from "../apis/errors.ts";
import type { KubeObject, StatusCause } from "../apis/meta.ts";
import { findResource, storePrefix, type ResourceInfo } from "../apis/registry.ts";
import { KeyExistsError, type Store, type StoreEvent } from "../store/index.ts";
import type { Allocation, Allocator } from "./allocation.ts";

const NODES_PREFIX = storePrefix(findResource("", "v1", "nodes")!);

/** Where the datastore keeps the reservations: beside, not under, the Service allocator's /kubun/allocations/ (its repair owns that). */
export const POD_CIDR_RESERVATIONS = "/kubun/podcidrs/";
/** Reservations younger than this may belong to a node write still on its way to the store. */
const REPAIR_GRACE_MS = 10 * 60_000;

export type PodCIDRReservationStore = Pick<Store, "create" | "delete" | "get" | "list">;

export interface NodeCIDRGuardOptions {
  /** A datastore other API servers write too: each CIDR is reserved in it before a node holds it. */
  shared?: PodCIDRReservationStore;
  /** The clock of the reservations' creation times (repair spares recent ones). */
  now?: () => Date;
}

/** A CIDR as the bits of its network address, for overlap tests across both families. */
interface Block {
  cidr: string;
  v6: boolean;
  base: bigint;
  prefix: number;
}

function ipBits(ip: string): { v6: boolean; bits: bigint } | undefined {
  if (!ip.includes(":")) {
    const octets = ip.split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
    return { v6: false, bits: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
  }
  const [head, tail, extra] = ip.split("::");
  if (extra !== undefined) return undefined;
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (all.length !== 8 || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { v6: true, bits: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function blockOf(cidr: string): Block | undefined {
  const slash = cidr.indexOf("/");
  const ip = ipBits(cidr.slice(0, slash));
  const prefix = Number(cidr.slice(slash + 1));
  if (slash < 0 || !ip) return undefined;
  const width = ip.v6 ? 128 : 32;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined;
  const host = BigInt(width - prefix);
  return { cidr, v6: ip.v6, base: (ip.bits >> host) << host, prefix };
}

/** A reservation's key: the CIDR's network address and prefix ("10.42.3.0_24"). */
function keyOf(b: Block): string {
  const width = b.v6 ? 128 : 32;
  const ip = b.v6
    ? Array.from({ length: 8 }, (_, i) => ((b.base >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(":")
    : Array.from({ length: 4 }, (_, i) => ((b.base >> BigInt(8 * (3 - i))) & 0xffn).toString()).join(".");
  return `${POD_CIDR_RESERVATIONS}${ip}_${Math.min(b.prefix, width)}`;
}

/** Two blocks overlap when the wider one contains the other's network address. */
function overlaps(a: Block, b: Block): boolean {
  if (a.v6 !== b.v6) return false;
  const host = BigInt((a.v6 ? 128 : 32) - Math.min(a.prefix, b.prefix));
  return a.base >> host === b.base >> host;
}

/** A node's pod CIDRs as stored (podCIDRs, else podCIDR), in order. */
export function podCIDRsOf(node: KubeObject | undefined): string[] {
  const spec = (node as { spec?: { podCIDR?: unknown; podCIDRs?: unknown } } | undefined)?.spec;
  if (Array.isArray(spec?.podCIDRs) && spec.podCIDRs.length) return spec.podCIDRs.filter((c): c is string => typeof c === "string");
  return typeof spec?.podCIDR === "string" && spec.podCIDR ? [spec.podCIDR] : [];
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The held blocks of one family and prefix length, by network address → the nodes holding it. */
interface Length {
  v6: boolean;
  prefix: number;
  bases: Map<bigint, Set<string>>;
}

const truncate = (base: bigint, v6: boolean, prefix: number) => {
  const host = BigInt((v6 ? 128 : 32) - prefix);
  return (base >> host) << host;
};

export class NodeCIDRGuard implements Allocator {
  /** Node name → the pod CIDRs it holds: stored, or claimed by a write in flight. */
  private readonly held = new Map<string, Block[]>();
  /**
   * The same blocks indexed by family and prefix length, so a check is a map lookup per length
   * held (one, when every node has a /24) rather than a walk over every node: a block containing
   * the wanted one is found at the wanted block's address truncated to its length; only lengths
   * longer than the wanted one's (blocks it would contain; rare) are scanned.
   */
  private readonly lengths = new Map<string, Length>();
  private readonly shared?: PodCIDRReservationStore;
  private readonly now: () => Date;

  constructor(opts: NodeCIDRGuardOptions = {}) {
    this.shared = opts.shared;
    this.now = opts.now ?? (() => new Date());
  }

  /** Marks what the stored nodes hold; call once at start, before serving writes. */
  rebuild(store: Pick<Store, "list">): void {
    for (const entry of store.list(NODES_PREFIX).items) this.set(entry.object.metadata.name!, podCIDRsOf(entry.object));
  }

  /**
   * On a shared datastore, after rebuild(): every CIDR a stored node holds gets its reservation
   * (nodes written before reservations existed), and reservations no node holds that are older
   * than the grace period (a server crashed between reserving and writing) are removed.
   */
  async repair(nodes: Pick<Store, "list">): Promise<{ created: number; removed: number }> {
    const shared = this.shared;
    if (!shared) return { created: 0, removed: 0 };
    const held = new Map<string, string>();
    for (const entry of nodes.list(NODES_PREFIX).items) {
      for (const cidr of podCIDRsOf(entry.object)) {
        const b = blockOf(cidr);
        if (b) held.set(keyOf(b), entry.object.metadata.name!);
      }
    }
    let created = 0;
    let removed = 0;
    const existing = new Set<string>();
    for (const entry of shared.list(POD_CIDR_RESERVATIONS).items) {
      existing.add(entry.key);
      if (held.get(entry.key) === reservedFor(entry.object)) continue;
      const at = Date.parse(entry.object.metadata.creationTimestamp ?? "");
      if (Number.isFinite(at) && this.now().getTime() - at < REPAIR_GRACE_MS) continue;
      if (await shared.delete(entry.key, entry.revision).then(() => true, () => false)) {
        removed++;
        existing.delete(entry.key);
      }
    }
    for (const [key, node] of held) {
      if (existing.has(key)) continue;
      if (await shared.create(key, this.reservation(key, node)).then(() => true, () => false)) created++;
    }
    return { created, removed };
  }

  /** Follows a node write taken by another API server on the same datastore (own writes change nothing). */
  observe(event: Pick<StoreEvent, "type" | "object">): void {
    const name = event.object.metadata.name!;
    if (event.type === "DELETED") this.drop(name);
    else this.set(name, podCIDRsOf(event.object));
  }

  /** The node holding a CIDR that overlaps `cidr`, other than `except`. */
  holderOf(cidr: string, except?: string): { node: string; cidr: string } | undefined {
    const want = blockOf(cidr);
    if (!want) return undefined;
    for (const length of this.lengths.values()) {
      if (length.v6 !== want.v6) continue;
      if (length.prefix <= want.prefix) {
        for (const node of length.bases.get(truncate(want.base, want.v6, length.prefix)) ?? []) if (node !== except) return this.hit(node, want);
        continue;
      }
      for (const [base, nodes] of length.bases) {
        if (truncate(base, want.v6, want.prefix) !== want.base) continue;
        for (const node of nodes) if (node !== except) return this.hit(node, want);
      }
    }
    return undefined;
  }

  /**
   * Claims the pod CIDRs `next` gives its node when they differ from what `current` holds
   * (validation already allows that only from empty); 422 when another node holds an
   * overlapping one. Status writes and every other update leave the CIDRs alone and pass at once.
   */
  begin(r: ResourceInfo, next: KubeObject | undefined, current: KubeObject | undefined): Allocation | undefined {
    if (r.kind !== "Node" || r.group !== "") return undefined;
    const before = podCIDRsOf(current);
    const after = podCIDRsOf(next);
    if (next && sameList(before, after)) return undefined;
    const name = (next ?? current)!.metadata.name!;
    const previous = this.held.get(name);
    if (next) {
      const causes: StatusCause[] = [];
      after.forEach((cidr, i) => {
        const holder = this.holderOf(cidr, name);
        if (!holder) return;
        const field = i === 0 ? "spec.podCIDR" : `spec.podCIDRs[${i}]`;
        const theirs = holder.cidr === cidr ? "" : ` (${holder.cidr})`;
        causes.push(fieldInvalid(field, cidr, `node "${holder.node}" already holds this pod CIDR${theirs}: each node needs a range of its own`));
      });
      if (causes.length) throw invalid("Node", name, causes);
      this.set(name, after);
    }
    const shared = this.shared;
    /** Reservations this write made: they go with it if it fails. */
    const reserved: string[] = [];
    return {
      reserve: shared && next ? () => this.reserve(shared, name, after.filter((c) => !before.includes(c)), reserved) : undefined,
      // A deleted node's CIDRs are free once the delete landed (for every server: a failed delete is left to repair).
      commit: async () => {
        if (next) return;
        this.drop(name);
        if (shared) for (const cidr of before) await this.release(shared, name, cidr);
      },
      revert: async () => {
        if (previous) this.put(name, previous);
        else this.drop(name);
        for (const key of reserved.splice(0)) await shared?.delete(key).catch(() => undefined);
      },
    };
  }

  /** Reserves each new CIDR in the shared datastore; one another node reserved first is a 422. */
  private async reserve(shared: PodCIDRReservationStore, name: string, cidrs: string[], reserved: string[]): Promise<void> {
    const causes: StatusCause[] = [];
    for (const cidr of cidrs) {
      const b = blockOf(cidr);
      if (!b) continue;
      const key = keyOf(b);
      try {
        await shared.create(key, this.reservation(key, name));
        reserved.push(key);
      } catch (err) {
        if (!(err instanceof KeyExistsError)) throw err;
        // Already reserved for this very node (a write that failed after reserving): it is this node's.
        const holder = reservedFor(shared.get(key)?.object);
        if (holder === name) continue;
        causes.push(fieldInvalid("spec.podCIDR", cidr, `node "${holder}" already holds this pod CIDR: each node needs a range of its own`));
      }
    }
    if (causes.length) throw invalid("Node", name, causes);
  }

  private async release(shared: PodCIDRReservationStore, name: string, cidr: string): Promise<void> {
    const b = blockOf(cidr);
    if (!b) return;
    const entry = shared.get(keyOf(b));
    if (entry && reservedFor(entry.object) === name) await shared.delete(entry.key, entry.revision).catch(() => undefined);
  }

  /** The object a reservation key holds: which CIDR, for which node (as an IPAddress's parentRef). */
  private reservation(key: string, node: string): KubeObject {
    return {
      apiVersion: "kubun.io/v1",
      kind: "PodCIDRReservation",
      metadata: { name: key.slice(POD_CIDR_RESERVATIONS.length), creationTimestamp: this.now().toISOString().replace(/\.\d+Z$/, "Z") },
      spec: { parentRef: { group: "", resource: "nodes", name: node } },
    } as KubeObject;
  }

  private set(name: string, cidrs: string[]): void {
    const held = this.held.get(name);
    if (held && sameList(held.map((b) => b.cidr), cidrs)) return;
    const blocks = cidrs.map(blockOf).filter((b): b is Block => !!b);
    if (blocks.length) this.put(name, blocks);
    else this.drop(name);
  }

  /** The node's block that overlaps `want` (the index found the node). */
  private hit(node: string, want: Block): { node: string; cidr: string } {
    return { node, cidr: this.held.get(node)!.find((b) => overlaps(b, want))!.cidr };
  }

  private put(name: string, blocks: Block[]): void {
    this.drop(name);
    this.held.set(name, blocks);
    for (const b of blocks) {
      const id = `${b.v6 ? 6 : 4}/${b.prefix}`;
      let length = this.lengths.get(id);
      if (!length) this.lengths.set(id, (length = { v6: b.v6, prefix: b.prefix, bases: new Map() }));
      let nodes = length.bases.get(b.base);
      if (!nodes) length.bases.set(b.base, (nodes = new Set()));
      nodes.add(name);
    }
  }

  private drop(name: string): void {
    const blocks = this.held.get(name);
    if (!blocks) return;
    this.held.delete(name);
    for (const b of blocks) {
      const id = `${b.v6 ? 6 : 4}/${b.prefix}`;
      const length = this.lengths.get(id);
      const nodes = length?.bases.get(b.base);
      if (!length || !nodes) continue;
      nodes.delete(name);
      if (nodes.size === 0) length.bases.delete(b.base);
      if (length.bases.size === 0) this.lengths.delete(id);
    }
  }
}

const reservedFor = (obj: KubeObject | undefined) => (obj as { spec?: { parentRef?: { name?: string } } } | undefined)?.spec?.parentRef?.name;
