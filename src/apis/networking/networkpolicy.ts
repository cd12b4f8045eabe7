// networking.k8s.io/v1 NetworkPolicy: types, defaults, validation and the `kubectl get netpol`
// columns, after pkg/apis/networking (validation.go, v1/defaults.go) and the printers. The API
// only stores policies; every node's agent enforces them for its own pods (agent/netpol/).
import { fieldForbidden, fieldInvalid, fieldNotSupported, fieldRequired } from "../errors.ts";
import { type Causes, type JsonObject, arrayAt, child, index, intOrStringAt, isObject, objectAt, objectsAt, stringAt, stringListAt } from "../field.ts";
import type { KubeObject } from "../meta.ts";
import { validateLabelSelector } from "../metadata.ts";
import { type LabelSelector, selectorString } from "../selector.ts";
import { type Printer, age, column } from "../table.ts";
import { isValidCIDR, isValidPortName, isValidPortNum } from "../validation.ts";

export type PolicyType = "Ingress" | "Egress";
export type PolicyProtocol = "TCP" | "UDP" | "SCTP";

export interface NetworkPolicyPort {
  protocol?: PolicyProtocol;
  /** A number, or a named container port of the pods on the far side. Absent: every port. */
  port?: number | string;
  /** With a numeric port: the range port..endPort. */
  endPort?: number;
}

export interface IPBlock {
  cidr: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyIngressRule {
  ports?: NetworkPolicyPort[];
  from?: NetworkPolicyPeer[];
}

export interface NetworkPolicyEgressRule {
  ports?: NetworkPolicyPort[];
  to?: NetworkPolicyPeer[];
}

export interface NetworkPolicySpec {
  podSelector: LabelSelector;
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
  policyTypes?: PolicyType[];
}

export interface NetworkPolicy extends KubeObject {
  apiVersion?: "networking.k8s.io/v1";
  kind?: "NetworkPolicy";
  spec: NetworkPolicySpec;
}

export const POLICY_TYPES: PolicyType[] = ["Ingress", "Egress"];
export const POLICY_PROTOCOLS: PolicyProtocol[] = ["TCP", "UDP", "SCTP"];

/**
 * v1's defaults: a port's protocol is TCP, and a policy without policyTypes is an Ingress policy,
 * and an Egress one too when it has egress rules.
 */
export function defaultNetworkPolicy(np: NetworkPolicy): void {
  // Whatever arrives is defaulted before validation: a spec of the wrong shape is left for it to refuse.
  if (np.spec === undefined || np.spec === null) np.spec = { podSelector: {} };
  const spec: unknown = np.spec;
  if (!isObject(spec)) return;
  spec.podSelector ??= {};
  const rules = [spec.ingress, spec.egress].flatMap((list) => (Array.isArray(list) ? list : []));
  for (const rule of rules) {
    const ports: unknown = isObject(rule) ? rule.ports : undefined;
    for (const p of Array.isArray(ports) ? ports : []) if (isObject(p)) p.protocol ??= "TCP";
  }
  if (spec.policyTypes === undefined || spec.policyTypes === null || (Array.isArray(spec.policyTypes) && spec.policyTypes.length === 0)) {
    spec.policyTypes = Array.isArray(spec.egress) && spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
  }
}

export function validateNetworkPolicy(errs: Causes, np: JsonObject): void {
  const spec = objectAt(errs, "spec", np.spec);
  if (!spec) return void errs.push(fieldRequired("spec"));
  validateLabelSelector(errs, "spec.podSelector", spec.podSelector);
  for (const [rule, p] of objectsAt(errs, "spec.ingress", spec.ingress)) validateRule(errs, p, rule, "from");
  for (const [rule, p] of objectsAt(errs, "spec.egress", spec.egress)) validateRule(errs, p, rule, "to");
  const types = arrayAt(errs, "spec.policyTypes", spec.policyTypes) ?? [];
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t as PolicyType)) errs.push(fieldNotSupported(index("spec.policyTypes", i), t, POLICY_TYPES));
  });
  if (types.length > 2) errs.push(fieldInvalid("spec.policyTypes", types, "may not specify more than two policyTypes"));
}

function validateRule(errs: Causes, path: string, rule: JsonObject, peers: "from" | "to"): void {
  for (const [port, p] of objectsAt(errs, child(path, "ports"), rule.ports)) validatePort(errs, p, port);
  for (const [peer, p] of objectsAt(errs, child(path, peers), rule[peers])) validatePeer(errs, p, peer);
}

function validatePort(errs: Causes, path: string, port: JsonObject): void {
  const protocol = stringAt(errs, child(path, "protocol"), port.protocol);
  if (protocol !== undefined && !POLICY_PROTOCOLS.includes(protocol as PolicyProtocol)) {
    errs.push(fieldNotSupported(child(path, "protocol"), protocol, POLICY_PROTOCOLS));
  }
  const value = intOrStringAt(errs, child(path, "port"), port.port);
  const endPort = port.endPort;
  const hasEnd = endPort !== undefined && endPort !== null;
  if (hasEnd && (typeof endPort !== "number" || !Number.isInteger(endPort))) {
    errs.push(fieldInvalid(child(path, "endPort"), endPort, "must be an integer"));
    return;
  }
  if (typeof value === "number") {
    for (const msg of isValidPortNum(value)) errs.push(fieldInvalid(child(path, "port"), value, msg));
    if (hasEnd) {
      if (value > (endPort as number)) errs.push(fieldInvalid(child(path, "endPort"), endPort, "must be greater than or equal to `port`"));
      for (const msg of isValidPortNum(endPort as number)) errs.push(fieldInvalid(child(path, "endPort"), endPort, msg));
    }
  } else if (typeof value === "string") {
    if (hasEnd) errs.push(fieldInvalid(child(path, "endPort"), endPort, "may not be specified when `port` is non-numeric"));
    for (const msg of isValidPortName(value)) errs.push(fieldInvalid(child(path, "port"), value, msg));
  } else if (hasEnd && value === undefined) {
    errs.push(fieldInvalid(child(path, "endPort"), endPort, "may not be specified when `port` is not specified"));
  }
}

function validatePeer(errs: Causes, path: string, peer: JsonObject): void {
  const present = (k: string) => peer[k] !== undefined && peer[k] !== null;
  let n = 0;
  if (present("podSelector")) {
    n++;
    validateLabelSelector(errs, child(path, "podSelector"), peer.podSelector);
  }
  if (present("namespaceSelector")) {
    n++;
    validateLabelSelector(errs, child(path, "namespaceSelector"), peer.namespaceSelector);
  }
  if (present("ipBlock")) {
    n++;
    const block = objectAt(errs, child(path, "ipBlock"), peer.ipBlock);
    if (block) validateIPBlock(errs, child(path, "ipBlock"), block);
  }
  if (n === 0) errs.push(fieldRequired(path, "must specify a peer"));
  else if (n > 1 && present("ipBlock")) errs.push(fieldForbidden(path, "may not specify both ipBlock and another peer"));
}

/** An IP and prefix length as a bigint (v4 or v6), for the subset check of `except`. */
export function parseCIDR(cidr: string): { family: 4 | 6; bits: number; addr: bigint; width: number } | undefined {
  if (isValidCIDR(cidr).length > 0) return undefined;
  const [ip, bits] = cidr.split("/") as [string, string];
  if (ip.includes(":")) {
    const [head, tail = ""] = ip.split("::") as [string, string?];
    const h = head ? head.split(":") : [];
    const t = ip.includes("::") && tail ? tail.split(":") : [];
    const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
    let addr = 0n;
    for (const g of groups) addr = (addr << 16n) | BigInt(parseInt(g || "0", 16));
    return { family: 6, bits: Number(bits), addr, width: 128 };
  }
  const addr = ip.split(".").reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n);
  return { family: 4, bits: Number(bits), addr, width: 32 };
}

/** Whether `inner` lies within `outer` and is strictly smaller (netutils' check for except). */
export function isStrictSubnet(outer: string, inner: string): boolean {
  const o = parseCIDR(outer);
  const i = parseCIDR(inner);
  if (!o || !i || o.family !== i.family || i.bits <= o.bits) return false;
  const shift = BigInt(o.width - o.bits);
  return i.addr >> shift === o.addr >> shift;
}

function validateIPBlock(errs: Causes, path: string, block: JsonObject): void {
  const cidr = stringAt(errs, child(path, "cidr"), block.cidr);
  if (!cidr) return void errs.push(fieldRequired(child(path, "cidr")));
  const cidrErrs = isValidCIDR(cidr);
  for (const msg of cidrErrs) errs.push(fieldInvalid(child(path, "cidr"), cidr, msg));
  const except = stringListAt(errs, child(path, "except"), block.except) ?? [];
  except.forEach((e, i) => {
    const p = index(child(path, "except"), i);
    const bad = isValidCIDR(e);
    for (const msg of bad) errs.push(fieldInvalid(p, e, msg));
    if (bad.length === 0 && cidrErrs.length === 0 && !isStrictSubnet(cidr, e)) errs.push(fieldInvalid(p, e, "must be a strict subset of `cidr`"));
  });
}

/** metav1.FormatLabelSelector: "<none>" for the empty selector (which selects every pod). */
export function formatPodSelector(sel: LabelSelector | undefined): string {
  return selectorString(sel ?? {}) || "<none>";
}

export const networkPolicyPrinter: Printer<NetworkPolicy> = {
  columns: [
    column("Name"),
    column("Pod-Selector", "Select the pods to which this NetworkPolicy object applies. The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods. In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace."),
    column("Age"),
  ],
  cells: (np, now) => [np.metadata.name ?? "", formatPodSelector(np.spec?.podSelector), age(np, now)],
};
