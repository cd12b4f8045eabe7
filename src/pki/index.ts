// The cluster's certificates (CA, serving and client certificates), shared by the server, which
// issues them, and the agent, which serves with its own.
export * from "./certificates.ts";
export * from "./hosts.ts";
