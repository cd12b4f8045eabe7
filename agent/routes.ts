// Host routes between nodes, in flannel's host-gw manner: every other node's podCIDR is reached
// through that node's InternalIP (`ip route replace <podCIDR> via <nodeIP>`). The routes carry
// their own protocol number, so the agent finds the ones it made (after a restart too) and
// removes those whose node went away without touching anyone else's routes.
import type { Node } from "../src/apis/index.ts";
import { Informer, resourceFor, type KubeClient } from "../src/client/index.ts";
import { compareStrings } from "../src/apis/compare.ts";

/** `proto` of the routes this agent installs (an unassigned number in /etc/iproute2/rt_protos). */
export const ROUTE_PROTO = 177;

export interface HostRoute {
  dst: string;
  via: string;
}

/** The routes to the other nodes' pod networks that this node should have. */
export function desiredRoutes(nodes: Node[], self: string): HostRoute[] {
  const own = nodes.find((n) => n.metadata.name === self)?.spec?.podCIDR;
  const out = new Map<string, HostRoute>();
  for (const n of nodes) {
    const dst = n.spec?.podCIDR;
    const via = n.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    if (n.metadata.name === self || !dst || !via || dst === own || dst.includes(":")) continue;
    out.set(dst, { dst, via });
  }
  return [...out.values()].sort((a, b) => compareStrings(a.dst, b.dst));
}

/** What to replace and what to delete to get from `actual` to `desired`. */
export function routeChanges(desired: HostRoute[], actual: HostRoute[]): { replace: HostRoute[]; remove: HostRoute[] } {
  const have = new Map(actual.map((r) => [r.dst, r.via]));
  const want = new Set(desired.map((r) => r.dst));
  return {
    replace: desired.filter((r) => have.get(r.dst) !== r.via),
    remove: actual.filter((r) => !want.has(r.dst)),
  };
}

/** The kernel's routing table, as far as this agent's routes go. */
export interface RouteTable {
  list(): Promise<HostRoute[]>;
  replace(r: HostRoute): Promise<void>;
  remove(r: HostRoute): Promise<void>;
}

async function ip(args: string[]): Promise<string> {
  const proc = Bun.spawn(["ip", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`ip ${args.join(" ")}: ${err.trim() || `exit ${code}`}`);
  return out;
}

/** The routes of the current network namespace, through the `ip` command. */
export function ipRouteTable(proto = ROUTE_PROTO): RouteTable {
  return {
    async list() {
      const out = await ip(["-4", "-j", "route", "show", "proto", String(proto)]);
      const rows = JSON.parse(out || "[]") as { dst: string; gateway?: string }[];
      return rows.filter((r) => r.gateway).map((r) => ({ dst: r.dst, via: r.gateway! }));
    },
    async replace(r) {
      await ip(["route", "replace", r.dst, "via", r.via, "proto", String(proto)]);
    },
    async remove(r) {
      await ip(["route", "del", r.dst, "via", r.via, "proto", String(proto)]);
    },
  };
}

export interface HostRoutesOptions {
  client: KubeClient;
  nodeName: string;
  table?: RouteTable;
  log?: (msg: string) => void;
  /** Also delete this agent's routes on stop (the node leaves for good). */
  removeOnStop?: boolean;
}

/** Watches Nodes and keeps the routes in line; resolves with its stop function once synced. */
export async function startHostRoutes(opts: HostRoutesOptions): Promise<() => Promise<void>> {
  const table = opts.table ?? ipRouteTable();
  const log = opts.log ?? (() => {});
  const informer = new Informer<Node>(opts.client.listerWatcher<Node>(resourceFor("Node"), {}), { onError: (e) => log(`node watch: ${e}`) });
  // One reconcile at a time; events during one ask for another pass after it.
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let busy = false;
  const reconcile = async () => {
    const { replace, remove } = routeChanges(desiredRoutes(informer.lister.list(), opts.nodeName), await table.list());
    for (const r of replace) await table.replace(r).then(() => log(`route ${r.dst} via ${r.via}`), (e) => log(`route ${r.dst}: ${(e as Error).message}`));
    for (const r of remove) await table.remove(r).then(() => log(`route ${r.dst} removed`), (e) => log(`route ${r.dst}: ${(e as Error).message}`));
  };
  const kick = () => {
    if (busy) return void (again = true);
    busy = true;
    running = (async () => {
      do {
        again = false;
        await reconcile().catch((e) => log(`routes: ${(e as Error).message}`));
      } while (again);
      busy = false;
    })();
  };
  // Status updates come every few seconds; only a node's podCIDR or address moves its route.
  const routeKey = (n: Node) => `${n.spec?.podCIDR}|${n.status?.addresses?.find((a) => a.type === "InternalIP")?.address}`;
  informer.addEventHandler({ onAdd: kick, onUpdate: (a, b) => routeKey(a) !== routeKey(b) && kick(), onDelete: kick });
  informer.start();
  await informer.waitForSync();
  kick();
  await running;
  return async () => {
    await informer.stop();
    await running;
    if (opts.removeOnStop) for (const r of await table.list().catch(() => [])) await table.remove(r).catch(() => undefined);
  };
}
