// NetworkPolicy defaulting (policyTypes, port protocol), validation of what the fuzz cases don't
// cover (valid policies pass), the except subset check and the Pod-Selector column.
import { expect, test } from "bun:test";
import type { Causes } from "../field.ts";
import { defaultNetworkPolicy, formatPodSelector, isStrictSubnet, validateNetworkPolicy, type NetworkPolicy } from "./networkpolicy.ts";

const np = (spec: Partial<NetworkPolicy["spec"]>): NetworkPolicy => ({ metadata: { name: "p" }, spec: { podSelector: {}, ...spec } });

test.each([
  ["no rules: Ingress", {}, ["Ingress"]],
  ["ingress only: Ingress", { ingress: [{}] }, ["Ingress"]],
  ["egress rules: Ingress and Egress", { egress: [{}] }, ["Ingress", "Egress"]],
  ["empty egress list: Ingress", { egress: [] }, ["Ingress"]],
  ["given types are kept", { egress: [{}], policyTypes: ["Egress"] as const }, ["Egress"]],
])("policyTypes default: %s", (_, spec, want) => {
  const p = np(spec as Partial<NetworkPolicy["spec"]>);
  defaultNetworkPolicy(p);
  expect(p.spec.policyTypes).toEqual(want as ("Ingress" | "Egress")[]);
});

test("a port's protocol defaults to TCP", () => {
  const p = np({ ingress: [{ ports: [{ port: 80 }, { protocol: "UDP", port: 53 }] }], egress: [{ ports: [{}] }] });
  defaultNetworkPolicy(p);
  expect(p.spec.ingress![0]!.ports!.map((x) => x.protocol)).toEqual(["TCP", "UDP"]);
  expect(p.spec.egress![0]!.ports![0]!.protocol).toBe("TCP");
});

test("valid policies pass", () => {
  const errs: Causes = [];
  validateNetworkPolicy(errs, {
    spec: {
      podSelector: { matchLabels: { app: "db" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchExpressions: [{ key: "role", operator: "Exists" }] } }], ports: [{ port: 5432 }, { port: "metrics" }, { protocol: "UDP", port: 1000, endPort: 2000 }] }],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "169.254.169.254/32"] } }, { ipBlock: { cidr: "2001:db8::/32", except: ["2001:db8:1::/48"] } }] }, {}],
    },
  });
  expect(errs).toEqual([]);
});

test.each([
  ["10.0.0.0/8", "10.1.0.0/16", true],
  ["10.0.0.0/8", "10.0.0.0/8", false],
  ["10.0.0.0/8", "11.0.0.0/16", false],
  ["10.0.0.0/16", "10.0.0.0/8", false],
  ["0.0.0.0/0", "192.168.1.1/32", true],
  ["2001:db8::/32", "2001:db8:ffff::/48", true],
  ["2001:db8::/32", "2001:db9::/48", false],
  ["10.0.0.0/8", "::/64", false],
])("except %s ⊃ %s: %p", (outer, inner, want) => {
  expect(isStrictSubnet(outer, inner)).toBe(want);
});

test("Pod-Selector prints <none> for the empty selector, else the selector as kubectl does", () => {
  expect(formatPodSelector({})).toBe("<none>");
  expect(formatPodSelector({ matchLabels: { b: "2", a: "1" }, matchExpressions: [{ key: "c", operator: "In", values: ["y", "x"] }] })).toBe("a=1,b=2,c in (x,y)");
});
