// The plain TypeScript routing table: the reference the WebAssembly table is tested against.
// Pins are kept in a Map per service and name their endpoint object, so a pin holds exactly while
// that endpoint is still in its slot.
import { EndpointSlots } from "./endpoint-slots.ts";
import { clientKey } from "./ipv4.ts";
import { type Endpoint, type RouteTable, type SessionAffinity, affinityTimeoutMs } from "./route-table.ts";

interface Pin {
  slot: number;
  endpoint: Endpoint;
  expires: number;
}

interface Service {
  readonly endpoints: EndpointSlots;
  cursor: number;
  /** Defined while sessionAffinity is ClientIP. */
  affinity?: { timeoutMs: number; pins: Map<number, Pin> };
}

/** Pins are swept of stale entries when their count passes this (and its doublings). */
const SWEEP_AT = 1024;

export function createTsRouteTable(): RouteTable {
  const services = new Map<string, Service>();

  function service(key: string): Service {
    let s = services.get(key);
    if (!s) services.set(key, (s = { endpoints: new EndpointSlots(), cursor: 0 }));
    return s;
  }

  function roundRobin(s: Service): number {
    const slots = s.endpoints.slots;
    let i = s.cursor;
    for (let n = 0; n < slots.length; n++, i++) {
      if (i >= slots.length) i = 0;
      if (slots[i] !== undefined) {
        s.cursor = i + 1;
        return i;
      }
    }
    throw new Error("round robin over a service without endpoints");
  }

  function holds(s: Service, pin: Pin, now: number): boolean {
    return now < pin.expires && s.endpoints.slots[pin.slot] === pin.endpoint;
  }

  return {
    setEndpoints(key, endpoints) {
      service(key).endpoints.update(endpoints);
    },

    removeService(key) {
      services.delete(key);
    },

    setAffinity(key, affinity: SessionAffinity) {
      const s = service(key);
      if (!affinity.clientIP) s.affinity = undefined;
      else if (s.affinity) s.affinity.timeoutMs = affinityTimeoutMs(affinity);
      else s.affinity = { timeoutMs: affinityTimeoutMs(affinity), pins: new Map() };
    },

    pick(key, clientIP, now) {
      const s = services.get(key);
      if (!s || s.endpoints.live === 0) return undefined;
      const affinity = s.affinity;
      if (!affinity) return s.endpoints.slots[roundRobin(s)];
      const client = clientKey(clientIP);
      const pin = affinity.pins.get(client);
      if (pin && holds(s, pin, now)) {
        pin.expires = now + affinity.timeoutMs;
        return pin.endpoint;
      }
      const slot = roundRobin(s);
      const endpoint = s.endpoints.slots[slot]!;
      affinity.pins.set(client, { slot, endpoint, expires: now + affinity.timeoutMs });
      if (affinity.pins.size >= SWEEP_AT && (affinity.pins.size & (affinity.pins.size - 1)) === 0) {
        for (const [c, p] of affinity.pins) if (!holds(s, p, now)) affinity.pins.delete(c);
      }
      return endpoint;
    },
  };
}
