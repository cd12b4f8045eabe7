// Node name <-> slot index. Both scorers hand out indexes through this so that "lowest index wins
// a tie" means the same node in each; a removed node's slot is reused by the next new node.

export class NodeSlots {
  private readonly byName = new Map<string, number>();
  private readonly names: (string | undefined)[] = [];
  private readonly free: number[] = [];

  /** Nodes present. */
  get size(): number {
    return this.byName.size;
  }

  /** One past the highest slot ever used: the range a scan must cover. */
  get highWater(): number {
    return this.names.length;
  }

  indexOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  nameAt(index: number): string | undefined {
    return this.names[index];
  }

  /** The node's slot, taking a free one (or a new one) if the node is new. */
  acquire(name: string): { index: number; created: boolean } {
    const existing = this.byName.get(name);
    if (existing !== undefined) return { index: existing, created: false };
    const index = this.free.length > 0 ? this.free.pop()! : this.names.length;
    this.names[index] = name;
    this.byName.set(name, index);
    return { index, created: true };
  }

  release(name: string): number | undefined {
    const index = this.byName.get(name);
    if (index === undefined) return undefined;
    this.byName.delete(name);
    this.names[index] = undefined;
    this.free.push(index);
    return index;
  }
}
