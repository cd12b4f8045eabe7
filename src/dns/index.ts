// Cluster DNS (CoreDNS's role): service and pod records from the informer caches over UDP and
// TCP, other names forwarded to the node's resolver.
export { startClusterDNS, dnsHandler, type ClusterDNSOptions, type RunningDNS } from "./server.ts";
export { answerQuestion, staticDirectory, DEFAULT_CLUSTER_DOMAIN, RECORD_TTL_SECONDS, type Answer, type ServiceDirectory } from "./records.ts";
export { listerDirectory } from "./directory.ts";
export { hostUpstream, upstreamFromResolvConf, forwardTcp, forwardUdp, DEFAULT_UPSTREAM_TIMEOUT_MS, type Upstream } from "./upstream.ts";
export { decodeMessage, encodeMessage, query, replyTo, CLASS_IN, RCODE, TYPE, type Message, type Question, type ResourceRecord } from "./message.ts";

/** The cluster DNS Service IP pods are given (k3s' default, the 10th address of 10.43.0.0/16). */
export const DEFAULT_CLUSTER_DNS_IP = "10.43.0.10";
