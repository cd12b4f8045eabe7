// One pod CIDR, one node: the API server refuses a Node write that would give a node a podCIDR
// overlapping one another node holds (422 Invalid naming spec.podCIDR). Two writers set
// spec.podCIDR — the node IPAM controller and an agent's --pod-cidr fallback — and each write
// names only its own Node, so a resourceVersion precondition cannot see the other; without this
// the two could hand one /24 to two nodes and pods on both would get the same IPs.
//
// It is an Allocator of the write path (storage.ts), as the Service allocator is: the check and
// the claim happen synchronously right before the store write, so on one server (the embedded
// SQLite store has exactly one) two concurrent writes can never both pass; a failed write gives
// its claim back, a deleted node frees its CIDRs. The table is rebuilt from the stored nodes at
// start. Several servers on PostgreSQL each keep their own table, fed by a watch of the nodes
// (observe): a conflicting write taken by another server inside that watch's lag is not seen
// here, and the node IPAM controller (running in the one leader) reports such a collision
// among stored nodes as a CIDRNotAvailable event.
import { fieldInvalid, invalid } from "../apis/errors.ts";
import type { KubeObject, StatusCause } from "../apis/meta.ts";
import { findResource, storePrefix, type ResourceInfo } from "../apis/registry.ts";
import type { Store, StoreEvent } from "../store/index.ts";
import type { Allocation, Allocator } from "./storage.ts";

const NODES_PREFIX = storePrefix(findResource("", "v1", "nodes")!);

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

export class NodeCIDRGuard implements Allocator {
  /** Node name → the pod CIDRs it holds: stored, or claimed by a write in flight. */
  private readonly held = new Map<string, Block[]>();

  /** Marks what the stored nodes hold; call once at start, before serving writes. */
  rebuild(store: Pick<Store, "list">): void {
    for (const entry of store.list(NODES_PREFIX).items) this.set(entry.object.metadata.name!, podCIDRsOf(entry.object));
  }

  /** Follows a node write taken by another API server on the same datastore (own writes change nothing). */
  observe(event: Pick<StoreEvent, "type" | "object">): void {
    const name = event.object.metadata.name!;
    if (event.type === "DELETED") this.held.delete(name);
    else this.set(name, podCIDRsOf(event.object));
  }

  /** The node holding a CIDR that overlaps `cidr`, other than `except`. */
  holderOf(cidr: string, except?: string): { node: string; cidr: string } | undefined {
    const want = blockOf(cidr);
    if (!want) return undefined;
    for (const [node, blocks] of this.held) {
      if (node === except) continue;
      const hit = blocks.find((b) => overlaps(b, want));
      if (hit) return { node, cidr: hit.cidr };
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
    return {
      // A deleted node's CIDRs are free once the delete landed.
      commit: () => {
        if (!next) this.held.delete(name);
      },
      revert: () => {
        if (previous) this.held.set(name, previous);
        else this.held.delete(name);
      },
    };
  }

  private set(name: string, cidrs: string[]): void {
    const held = this.held.get(name);
    if (held && sameList(held.map((b) => b.cidr), cidrs)) return;
    const blocks = cidrs.map(blockOf).filter((b): b is Block => !!b);
    if (blocks.length) this.held.set(name, blocks);
    else this.held.delete(name);
  }
}

/** Several allocators as one: each answers for its own kinds, the first that does wins. */
export function allocators(...list: Allocator[]): Allocator {
  return {
    begin(r, next, current) {
      for (const a of list) {
        const allocation = a.begin(r, next, current);
        if (allocation) return allocation;
      }
      return undefined;
    },
  };
}
