import { describe, expect, test } from "bun:test";
import {
  type Filter, type NodeState, nodeAffinity, nodeName, nodePorts, nodeReady, nodeResourcesFit, nodeUnschedulable,
  taintToleration,
} from "./filters.ts";
import { makeNode, makePod } from "../../test/helpers/scheduler-fixtures.ts";
import type { NodeInfo, PodQuery } from "./types.ts";

function state(info: NodeInfo, used: Partial<NodeState> = {}): NodeState {
  return { info, requested: { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 0 }, nonZero: { cpu: 0, memory: 0 }, ports: [], ...used };
}

interface Case {
  name: string;
  filter: Filter;
  pod: PodQuery;
  node: NodeState;
  want: string[];
}

const zoneA = makeNode("n1", { labels: { zone: "a", rank: "7" } });
const cases: Case[] = [
  { name: "ready node passes", filter: nodeReady, pod: makePod(), node: state(makeNode("n1")), want: [] },
  { name: "not ready node", filter: nodeReady, pod: makePod(), node: state(makeNode("n1", { ready: false })), want: ["node(s) were not ready"] },
  { name: "cordoned node", filter: nodeUnschedulable, pod: makePod(), node: state(makeNode("n1", { unschedulable: true })), want: ["node(s) were unschedulable"] },
  {
    name: "cordoned node, pod tolerates unschedulable taint",
    filter: nodeUnschedulable,
    pod: makePod({ tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] }),
    node: state(makeNode("n1", { unschedulable: true })),
    want: [],
  },
  { name: "nodeName matches", filter: nodeName, pod: makePod({ nodeName: "n1" }), node: state(makeNode("n1")), want: [] },
  { name: "nodeName differs", filter: nodeName, pod: makePod({ nodeName: "n2" }), node: state(makeNode("n1")), want: ["node(s) didn't match the requested node name"] },
  {
    name: "untolerated NoSchedule taint",
    filter: taintToleration,
    pod: makePod(),
    node: state(makeNode("n1", { taints: [{ key: "node-role", value: "master", effect: "NoSchedule" }] })),
    want: ["node(s) had untolerated taint {node-role: master}"],
  },
  {
    name: "PreferNoSchedule taint does not filter",
    filter: taintToleration,
    pod: makePod(),
    node: state(makeNode("n1", { taints: [{ key: "spot", value: "true", effect: "PreferNoSchedule" }] })),
    want: [],
  },
  {
    name: "NoExecute taint tolerated by Exists",
    filter: taintToleration,
    pod: makePod({ tolerations: [{ key: "dedicated", operator: "Exists" }] }),
    node: state(makeNode("n1", { taints: [{ key: "dedicated", value: "gpu", effect: "NoExecute" }] })),
    want: [],
  },
  {
    name: "toleration with another value does not tolerate",
    filter: taintToleration,
    pod: makePod({ tolerations: [{ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }] }),
    node: state(makeNode("n1", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] })),
    want: ["node(s) had untolerated taint {dedicated: gpu}"],
  },
  { name: "nodeSelector matches", filter: nodeAffinity, pod: makePod({ nodeSelector: { zone: "a" } }), node: state(zoneA), want: [] },
  { name: "nodeSelector differs", filter: nodeAffinity, pod: makePod({ nodeSelector: { zone: "b" } }), node: state(zoneA), want: ["node(s) didn't match Pod's node affinity/selector"] },
  ...([
    ["In", "zone", ["a", "b"], true],
    ["In", "zone", ["b"], false],
    ["NotIn", "zone", ["b"], true],
    ["NotIn", "missing", ["b"], true],
    ["Exists", "zone", undefined, true],
    ["DoesNotExist", "zone", undefined, false],
    ["Gt", "rank", ["5"], true],
    ["Gt", "rank", ["7"], false],
    ["Lt", "rank", ["10"], true],
    ["Lt", "zone", ["10"], false],
  ] as const).map(([operator, key, values, fits]): Case => ({
    name: `required affinity ${key} ${operator} ${values ?? ""}`,
    filter: nodeAffinity,
    pod: makePod({ requiredTerms: [{ matchExpressions: [{ key, operator, values: values && [...values] }] }] }),
    node: state(zoneA),
    want: fits ? [] : ["node(s) didn't match Pod's node affinity/selector"],
  })),
  {
    name: "required terms are ORed",
    filter: nodeAffinity,
    pod: makePod({ requiredTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }, { matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }] }),
    node: state(zoneA),
    want: [],
  },
  { name: "an empty term matches nothing", filter: nodeAffinity, pod: makePod({ requiredTerms: [{}] }), node: state(zoneA), want: ["node(s) didn't match Pod's node affinity/selector"] },
  {
    name: "host port in use on all addresses",
    filter: nodePorts,
    pod: makePod({ hostPorts: [{ port: 80, hostIP: "10.0.0.1" }] }),
    node: state(makeNode("n1"), { ports: [{ port: 80 }] }),
    want: ["node(s) didn't have free ports for the requested pod ports"],
  },
  { name: "same port, other protocol", filter: nodePorts, pod: makePod({ hostPorts: [{ port: 80, protocol: "UDP" }] }), node: state(makeNode("n1"), { ports: [{ port: 80 }] }), want: [] },
  { name: "same port, other address", filter: nodePorts, pod: makePod({ hostPorts: [{ port: 80, hostIP: "10.0.0.2" }] }), node: state(makeNode("n1"), { ports: [{ port: 80, hostIP: "10.0.0.1" }] }), want: [] },
  { name: "fits", filter: nodeResourcesFit, pod: makePod({ cpu: 4000 }), node: state(makeNode("n1")), want: [] },
  {
    name: "every insufficient resource is reported",
    filter: nodeResourcesFit,
    pod: makePod({ cpu: 1000, memory: 1 }),
    node: state(makeNode("n1"), { requested: { cpu: 3500, memory: 8 * 2 ** 30, ephemeralStorage: 0, pods: 110 } }),
    want: ["Too many pods", "Insufficient cpu", "Insufficient memory"],
  },
  {
    name: "a pod without requests fits a full node (only the pod count matters)",
    filter: nodeResourcesFit,
    pod: makePod(),
    node: state(makeNode("n1"), { requested: { cpu: 4000, memory: 8 * 2 ** 30, ephemeralStorage: 0, pods: 3 } }),
    want: [],
  },
];

describe("filters", () => {
  test.each(cases)("$filter.name: $name", ({ filter, pod, node, want }) => {
    expect(filter.filter(pod, node)).toEqual(want);
  });
});
