// undici's keep-alive Agent and its `request` method, loaded without the rest of undici.
// undici/index.js loads every part of the library — fetch, WebSocket, EventSource, the cache
// stores, the mock agents, the proxy agents, every interceptor — and KubeClient uses one class
// and one method of it. A node agent is a small process whose memory is mostly the code it
// loads (bench/README.md, "The agent and its proxy"): these few modules instead of the whole
// library are about 3 MB less resident memory there.
//
// It does what undici/index.js does for the one method: the request API goes onto Dispatcher's
// prototype (index.js assigns all five there; loading index.js later assigns the same functions
// again). "undici/index.js" is named for the types only (type imports are erased): the bare
// "undici" would be Bun's fetch-based stand-in, whose Agent cannot carry a CA or keep connections.
import type { Agent as UndiciAgent } from "undici/index.js";

const Dispatcher = require("undici/lib/dispatcher/dispatcher.js") as { prototype: Record<string, unknown> };
Dispatcher.prototype.request ??= require("undici/lib/api/api-request.js");

export const Agent = require("undici/lib/dispatcher/agent.js") as typeof UndiciAgent;
export type Agent = UndiciAgent;
