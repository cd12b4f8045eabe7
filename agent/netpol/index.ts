// NetworkPolicy enforcement for this node's pods: the controller, and what it is made of.
export { startNetworkPolicyController, type NetworkPolicyControllerOptions, type RunningNetworkPolicyController } from "./controller.ts";
export { allows, clusterDNSPeer, compile, policyPod, type Allow, type Peer, type PodPolicy, type PolicyPod, type PolicyState } from "./model.ts";
export { agentId, iptablesRestore, ipsetRestore, names, podChain, render, type RuleSet } from "./rules.ts";
export { iptablesBackend, type PolicyBackend } from "./iptables.ts";
