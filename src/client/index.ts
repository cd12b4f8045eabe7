// What every API client shares (client-go's role) — the scheduler, controllers, proxy and agent:
// REST verbs, watches, informers and their caches, the work queue and its rate limiters, the
// clock, and the event recorder. The OpenAPI-typed client lives apart, in ./generated/.
export { KubeClient, fromKubeconfig, type KubeClientOptions, type RequestOptions, type Stored } from "./kube-client.ts";
export { loadKubeconfig, parseKubeconfig, type ConnectionOptions, type KubeconfigContext } from "./kubeconfig.ts";
export { apiVersionOf, groupVersionPath, objectKey, resourceFor, resourcePath, splitKey } from "./paths.ts";
export { isStatus, responseError } from "./response-error.ts";
export { ndjson, type LineInterner } from "./ndjson.ts";
export { ObjectCache, podsByNodeName, type IndexFunc, type Lister, type ObjectSelector } from "./cache.ts";
export { Informer, type EventHandler, type InformerOptions } from "./informer.ts";
export { SharedInformerFactory, type ListWatchSource, type SharedInformerOptions } from "./informer-factory.ts";
export { type Clock, realClock } from "./clock.ts";
export { Heap } from "./heap.ts";
export { ExponentialBackoff, WorkQueue, warnUnlessConflict, type RateLimiter, type RunWorkersOptions, type WorkQueueOptions } from "./workqueue.ts";
export { createControllerContext, type ControllerContext, type EventRecorder, type Running } from "./context.ts";
export { createRecorderFactory, EventRecorderImpl, kubeEventSink, type EventSink, type RecorderFactory, type RecorderOptions } from "./event-recorder.ts";
export {
  PATCH_CONTENT_TYPES,
  type DeleteOptions,
  type DeleteResult,
  type ListerWatcher,
  type ListOptions,
  type ObjectEvent,
  type PatchOptions,
  type PatchType,
  type Scope,
  type WatchOptions,
  type WriteOptions,
} from "./types.ts";
export { LEADER_ELECTION_DEFAULTS, runLeaderElection, type LeaderElectionConfig, type LeaderElector } from "./leader-election.ts";
