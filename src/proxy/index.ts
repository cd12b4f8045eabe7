// The service proxy (kube-proxy's role): a routing table in WebAssembly and the TCP/UDP
// forwarders that ask it for an endpoint per new connection.
export { type Endpoint, type RouteTable, type SessionAffinity, DEFAULT_AFFINITY_TIMEOUT_SECONDS } from "./route-table.ts";
export { createWasmRouteTable, type WasmRouteTableOptions } from "./wasm-route-table.ts";
export { createTsRouteTable } from "./ts-route-table.ts";
export { ensureRouteTableBuilt, loadRouteTableModule } from "./wasm-route-loader.ts";
export { Forwarder, type ForwarderOptions, type ListenAddress, type Protocol, type Route, type TcpForwarding } from "./forwarder.ts";
export { listenTcp, type TcpForwarder, type TcpForwarderOptions } from "./tcp-forwarder.ts";
export { listenUdp, type UdpForwarder, type UdpForwarderOptions, DEFAULT_UDP_IDLE_TIMEOUT_MS } from "./udp-forwarder.ts";
export { clientKey, formatIPv4, parseIPv4 } from "./ipv4.ts";
export { startServiceProxy, type RunningServiceProxy, type ServiceProxyOptions } from "./service-proxy.ts";
export { serviceRoutes, portEndpoints, routeKey, sessionAffinity, sliceServiceKey, LOOPBACK, type ServiceRoute } from "./service-routes.ts";
export { linkServiceAddresses, DEFAULT_SERVICE_INTERFACE, type ServiceAddresses } from "./service-interface.ts";
export { startNodeProxy, type NodeProxyOptions, type RunningNodeProxy } from "./node-proxy.ts";
