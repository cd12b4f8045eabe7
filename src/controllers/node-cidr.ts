// The pod CIDR allocator of node IPAM (kube's range allocator over a cidrset): the cluster CIDR
// cut into equal subnets, handed out lowest free first, marked used by the nodes that carry
// them, freed when their node goes. IPv4 only, as kubun's networking is.

export interface CidrRange {
  base: number; // network address as an unsigned 32-bit integer
  prefix: number;
}

export function parseCidr(cidr: string): CidrRange {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`invalid IPv4 CIDR ${cidr}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`invalid IPv4 CIDR ${cidr}`);
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  return { base: ip - (ip % size), prefix };
}

export function formatCidr({ base, prefix }: CidrRange): string {
  return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join(".")}/${prefix}`;
}

export class CidrAllocator {
  private readonly cluster: CidrRange;
  private readonly subnetSize: number;
  private readonly count: number;
  /** Subnet index → the node holding it. */
  private readonly used = new Map<number, string>();
  /** Node → the subnet indexes it holds, the one it was given first: allocation stays O(1) for a node that holds one. */
  private readonly byNode = new Map<string, number[]>();
  /** No subnet below this index is free. */
  private lowestFree = 0;

  constructor(clusterCIDR: string, readonly maskSize: number) {
    this.cluster = parseCidr(clusterCIDR);
    if (maskSize < this.cluster.prefix || maskSize > 32) throw new Error(`node CIDR mask /${maskSize} does not fit in ${clusterCIDR}`);
    this.subnetSize = 2 ** (32 - maskSize);
    this.count = 2 ** (maskSize - this.cluster.prefix);
  }

  /**
   * Marks a node's existing pod CIDR as used: every subnet it overlaps (a wider CIDR covers
   * several, a narrower one takes the subnet it lies in), as kube's cidrset.Occupy does. False
   * when it lies outside the cluster CIDR or overlaps a subnet someone else holds.
   */
  occupy(cidr: string, node: string): boolean {
    const indexes = this.indexesOf(cidr);
    if (indexes.length === 0 || this.holders(cidr, node).length > 0) return false;
    const mine = this.byNode.get(node) ?? [];
    for (const i of indexes) {
      if (this.used.get(i) === node) continue;
      this.used.set(i, node);
      mine.push(i);
    }
    this.byNode.set(node, mine);
    return true;
  }

  /** The nodes (other than `except`) holding a subnet that `cidr` overlaps. */
  holders(cidr: string, except?: string): string[] {
    const found = new Set<string>();
    for (const i of this.indexesOf(cidr)) {
      const holder = this.used.get(i);
      if (holder !== undefined && holder !== except) found.add(holder);
    }
    return [...found];
  }

  /** The node's subnet: the one it already holds, else the lowest free one; undefined when the range is full. */
  allocate(node: string): string | undefined {
    const held = this.byNode.get(node)?.[0];
    if (held !== undefined) return this.format(held);
    for (let i = this.lowestFree; i < this.count; i++) {
      if (this.used.has(i)) continue;
      this.used.set(i, node);
      this.byNode.set(node, [i]);
      this.lowestFree = i + 1;
      return this.format(i);
    }
    this.lowestFree = this.count;
    return undefined;
  }

  /** Frees whatever the node holds. */
  release(node: string): void {
    const held = this.byNode.get(node);
    if (!held) return;
    this.byNode.delete(node);
    for (const i of held) {
      if (this.used.get(i) !== node) continue;
      this.used.delete(i);
      this.lowestFree = Math.min(this.lowestFree, i);
    }
  }

  private format(i: number): string {
    return formatCidr({ base: this.cluster.base + i * this.subnetSize, prefix: this.maskSize });
  }

  /** The subnets of the cluster CIDR that `cidr` overlaps (none when it lies outside or is not IPv4). */
  private indexesOf(cidr: string): number[] {
    let r: CidrRange;
    try {
      r = parseCidr(cidr);
    } catch {
      return [];
    }
    const size = 2 ** (32 - r.prefix);
    const start = Math.max(r.base, this.cluster.base);
    const end = Math.min(r.base + size, this.cluster.base + this.count * this.subnetSize);
    const indexes: number[] = [];
    for (let at = start - ((start - this.cluster.base) % this.subnetSize); at < end; at += this.subnetSize) indexes.push((at - this.cluster.base) / this.subnetSize);
    return indexes;
  }
}
