// Resource metrics (metrics.k8s.io) served from the agents' usage reports: see routes.ts.
export { MetricsWindow, usageOf, type PodUsage, type Usage } from "./window.ts";
export { checkReport, metricsRoutes, type MetricsRouteDeps } from "./routes.ts";
