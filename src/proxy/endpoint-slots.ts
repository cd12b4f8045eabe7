// The places of one service's endpoints, shared by both routing tables so that they agree on
// them. An endpoint keeps its slot while it stays in the service; that is what lets an affinity
// pin or the round-robin cursor survive an update. Slot objects are fresh per addition, so an
// endpoint removed and added back is a new endpoint (its old pins do not hold).
import type { Endpoint } from "./route-table.ts";
import { parseIPv4 } from "./ipv4.ts";

export interface SlotChange {
  slot: number;
  /** The endpoint now in the slot; undefined when the slot was freed. */
  endpoint?: Endpoint;
}

export class EndpointSlots {
  /** Slot -> endpoint; never ends with a free slot. */
  readonly slots: (Endpoint | undefined)[] = [];
  private readonly byAddress = new Map<string, number>();

  get live(): number {
    return this.byAddress.size;
  }

  /** Applies the new endpoint set; returns the changes, removals first. */
  update(endpoints: readonly Endpoint[]): SlotChange[] {
    const wanted = new Map<string, Endpoint>();
    for (const e of endpoints) {
      if (parseIPv4(e.ip) === undefined) throw new TypeError(`endpoint address ${JSON.stringify(e.ip)} is not IPv4`);
      if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw new RangeError(`endpoint port ${e.port} is out of range`);
      const address = `${e.ip}:${e.port}`;
      if (!wanted.has(address)) wanted.set(address, e);
    }
    const changes: SlotChange[] = [];
    for (const [address, slot] of this.byAddress) {
      if (wanted.has(address)) continue;
      this.byAddress.delete(address);
      this.slots[slot] = undefined;
      changes.push({ slot });
    }
    let free = 0;
    for (const [address, e] of wanted) {
      if (this.byAddress.has(address)) continue;
      while (this.slots[free] !== undefined) free++;
      const endpoint = Object.freeze({ ip: e.ip, port: e.port });
      this.slots[free] = endpoint;
      this.byAddress.set(address, free);
      changes.push({ slot: free, endpoint });
    }
    while (this.slots.length > 0 && this.slots[this.slots.length - 1] === undefined) this.slots.pop();
    return changes;
  }
}
