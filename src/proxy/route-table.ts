// The routing table of the service proxy: for each service, its ready endpoints and how a new
// connection picks one. Two implementations share this interface and one test suite: the
// WebAssembly table the proxy runs (wasm-route-table.ts) and the plain TypeScript reference
// (ts-route-table.ts) it is checked against.

export interface Endpoint {
  /** IPv4 address, dotted quad. */
  readonly ip: string;
  readonly port: number;
}

/** A Service's spec.sessionAffinity / sessionAffinityConfig, reduced to what routing needs. */
export interface SessionAffinity {
  /** sessionAffinity: ClientIP */
  clientIP: boolean;
  /** sessionAffinityConfig.clientIP.timeoutSeconds */
  timeoutSeconds: number;
}

/** Kubernetes' default sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

export interface RouteTable {
  /**
   * Replaces the service's endpoint set, creating the service if needed. Endpoints that stay keep
   * their identity (their affinity pins hold, their place in the rotation); removed ones are not
   * picked again; new ones take the lowest free places, in the order given.
   */
  setEndpoints(serviceKey: string, endpoints: readonly Endpoint[]): void;
  /** Forgets the service, its endpoints and its affinity pins. */
  removeService(serviceKey: string): void;
  /**
   * Sets the service's session affinity. Turning ClientIP off drops every pin; a new timeout
   * applies from each pin's next use.
   */
  setAffinity(serviceKey: string, affinity: SessionAffinity): void;
  /**
   * The endpoint for a new connection from `clientIP`, undefined when the service is unknown or
   * has no endpoints. Round robin per service; with ClientIP affinity, a client keeps its endpoint
   * until it has been idle for the timeout or the endpoint went away. `nowMs` must not go
   * backwards (a monotonic clock such as performance.now()).
   */
  pick(serviceKey: string, clientIP: string, nowMs: number): Endpoint | undefined;
}

/** The affinity timeout in milliseconds; Kubernetes allows 1..86400 seconds, we only need > 0. */
export function affinityTimeoutMs(affinity: SessionAffinity): number {
  const t = affinity.timeoutSeconds;
  if (!(t > 0) || !Number.isFinite(t)) throw new RangeError(`session affinity timeout ${t}s must be a positive number`);
  return t * 1000;
}
