// The cluster's DNS records, after Kubernetes' DNS specification (what CoreDNS's kubernetes
// plugin serves), computed per question from the Services and EndpointSlices in the caches:
//   <svc>.<ns>.svc.<domain>            A     the ClusterIP; a headless service's ready endpoints
//   <host>.<svc>.<ns>.svc.<domain>     A     one endpoint of a headless service
//   _<port>._<proto>.<svc>.<ns>.svc... SRV   each named port
//   <a-b-c-d>.<ns>.pod.<domain>        A     the address in the name
//   d.c.b.a.in-addr.arpa               PTR   a ClusterIP or a headless endpoint
// Other names in the domain are NXDOMAIN; names outside it are not ours (undefined: forward them).
import type { EndpointSlice } from "../apis/discovery/endpointslice.ts";
import type { Service } from "../apis/index.ts";
import { CLASS_IN, type Question, RCODE, type ResourceRecord, TYPE } from "./message.ts";

/** What the records are computed from: the informer caches, or plain arrays in tests. */
export interface ServiceDirectory {
  service(namespace: string, name: string): Service | undefined;
  services(): Service[];
  /** The EndpointSlices labelled kubernetes.io/service-name=<name> in the namespace. */
  endpointSlices(namespace: string, name: string): EndpointSlice[];
}

export interface Answer {
  rcode: number;
  answers: ResourceRecord[];
  /** The zone's SOA on negative answers, so resolvers cache them for the TTL. */
  authorities: ResourceRecord[];
}

export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";
/** CoreDNS's kubernetes plugin default: short, because endpoints change. */
export const RECORD_TTL_SECONDS = 5;

const isHeadless = (svc: Service) => svc.spec?.clusterIP === "None";

interface ReadyEndpoint {
  address: string;
  hostname?: string;
}

/** Endpoints a name resolves to: ready ones, or all of them when the service publishes not-ready addresses. */
function endpointsOf(dir: ServiceDirectory, svc: Service): { endpoint: ReadyEndpoint; slice: EndpointSlice }[] {
  const out: { endpoint: ReadyEndpoint; slice: EndpointSlice }[] = [];
  const seen = new Set<string>();
  const all = svc.spec?.publishNotReadyAddresses === true;
  for (const slice of dir.endpointSlices(svc.metadata.namespace ?? "", svc.metadata.name ?? "")) {
    if (slice.addressType !== "IPv4") continue;
    for (const ep of slice.endpoints ?? []) {
      if (!all && ep.conditions?.ready === false) continue;
      const address = ep.addresses[0];
      if (!address || seen.has(address)) continue;
      seen.add(address);
      out.push({ endpoint: { address, hostname: ep.hostname }, slice });
    }
  }
  return out;
}

/** The DNS label of a headless endpoint: its hostname, else its address with dashes. */
const endpointLabel = (ep: ReadyEndpoint) => ep.hostname || ep.address.replaceAll(".", "-");

function soa(domain: string): ResourceRecord {
  return {
    name: domain,
    class: CLASS_IN,
    ttl: RECORD_TTL_SECONDS,
    data: { type: TYPE.SOA, mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: RECORD_TTL_SECONDS },
  };
}

const rr = (name: string, data: ResourceRecord["data"]): ResourceRecord => ({ name, class: CLASS_IN, ttl: RECORD_TTL_SECONDS, data });

/** What a name holds: its records of every type (filtered by the question's type afterwards). */
function recordsFor(labels: string[], name: string, dir: ServiceDirectory, domain: string): ResourceRecord[] | undefined {
  const n = labels.length;
  if (n >= 3 && labels[n - 1] === "svc") {
    const svc = dir.service(labels[n - 2]!, labels[n - 3]!);
    if (!svc) return undefined;
    const prefix = labels.slice(0, n - 3);
    if (prefix.length === 0) return serviceRecords(svc, name, dir);
    if (prefix.length === 1 && isHeadless(svc)) {
      const ep = endpointsOf(dir, svc).find((e) => endpointLabel(e.endpoint) === prefix[0]);
      return ep ? [rr(name, { type: TYPE.A, address: ep.endpoint.address })] : undefined;
    }
    if (prefix.length === 2 && prefix[0]!.startsWith("_") && prefix[1]!.startsWith("_")) return srvRecords(svc, prefix[0]!.slice(1), prefix[1]!.slice(1), name, dir, domain);
    return undefined;
  }
  if (n === 3 && labels[2] === "pod") {
    const address = labels[0]!.replaceAll("-", ".");
    if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(address) || address.split(".").some((o) => Number(o) > 255)) return undefined;
    return [rr(name, { type: TYPE.A, address })];
  }
  return undefined;
}

function serviceRecords(svc: Service, name: string, dir: ServiceDirectory): ResourceRecord[] {
  if (svc.spec?.type === "ExternalName") return svc.spec.externalName ? [rr(name, { type: TYPE.CNAME, target: svc.spec.externalName })] : [];
  if (!isHeadless(svc)) return svc.spec?.clusterIP ? [rr(name, { type: TYPE.A, address: svc.spec.clusterIP })] : [];
  return endpointsOf(dir, svc).map((e) => rr(name, { type: TYPE.A, address: e.endpoint.address }));
}

function srvRecords(svc: Service, port: string, proto: string, name: string, dir: ServiceDirectory, domain: string): ResourceRecord[] | undefined {
  const ns = svc.metadata.namespace ?? "";
  const base = `${svc.metadata.name}.${ns}.svc.${domain}`;
  const matches = (p: { name?: string; protocol?: string }) => p.name === port && (p.protocol ?? "TCP").toLowerCase() === proto;
  if (!isHeadless(svc)) {
    const sp = svc.spec?.ports?.find(matches);
    return sp ? [rr(name, { type: TYPE.SRV, priority: 0, weight: 100, port: sp.port, target: base })] : undefined;
  }
  const out: ResourceRecord[] = [];
  for (const { endpoint, slice } of endpointsOf(dir, svc)) {
    const p = slice.ports?.find(matches);
    if (p?.port) out.push(rr(name, { type: TYPE.SRV, priority: 0, weight: 100, port: p.port, target: `${endpointLabel(endpoint)}.${base}` }));
  }
  return out.length ? out : undefined;
}

/** PTR for a ClusterIP or a headless service's endpoint; undefined for other addresses. */
function reverse(ip: string, name: string, dir: ServiceDirectory, domain: string): ResourceRecord[] | undefined {
  for (const svc of dir.services()) {
    const base = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${domain}`;
    if (svc.spec?.clusterIP === ip) return [rr(name, { type: TYPE.PTR, target: base })];
    if (!isHeadless(svc)) continue;
    const ep = endpointsOf(dir, svc).find((e) => e.endpoint.address === ip);
    if (ep) return [rr(name, { type: TYPE.PTR, target: `${endpointLabel(ep.endpoint)}.${base}` })];
  }
  return undefined;
}

/**
 * The answer to a question about the cluster, or undefined when the name is not the cluster's
 * (outside the domain, or an address that is no ClusterIP or endpoint) and goes upstream.
 */
export function answerQuestion(q: Question, dir: ServiceDirectory, domain = DEFAULT_CLUSTER_DOMAIN): Answer | undefined {
  const name = q.name.toLowerCase().replace(/\.$/, "");
  if (name.endsWith(".in-addr.arpa")) {
    const octets = name.slice(0, -".in-addr.arpa".length).split(".");
    if (octets.length !== 4) return undefined;
    const found = reverse(octets.reverse().join("."), name, dir, domain);
    if (!found) return undefined;
    return { rcode: RCODE.NOERROR, answers: q.type === TYPE.PTR || q.type === TYPE.ANY ? found : [], authorities: [] };
  }
  if (name !== domain && !name.endsWith(`.${domain}`)) return undefined;
  const labels = name === domain ? [] : name.slice(0, -domain.length - 1).split(".");
  const records = recordsFor(labels, name, dir, domain);
  // The zone apex and the svc/pod subdomains exist (empty non-terminals): NODATA, not NXDOMAIN.
  const exists = records !== undefined || labels.length === 0 || ((labels.length <= 2 && (labels.at(-1) === "svc" || labels.at(-1) === "pod")));
  if (!exists) return { rcode: RCODE.NXDOMAIN, answers: [], authorities: [soa(domain)] };
  // A CNAME answers every type, as a resolver follows it.
  const answers = (records ?? []).filter((r) => r.data.type === q.type || q.type === TYPE.ANY || r.data.type === TYPE.CNAME);
  return { rcode: RCODE.NOERROR, answers, authorities: answers.length ? [] : [soa(domain)] };
}

/** A ServiceDirectory over arrays (tests, and anything without informers). */
export function staticDirectory(services: Service[], slices: EndpointSlice[]): ServiceDirectory {
  return {
    service: (ns, name) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
    services: () => services,
    endpointSlices: (ns, name) => slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels?.["kubernetes.io/service-name"] === name),
  };
}
