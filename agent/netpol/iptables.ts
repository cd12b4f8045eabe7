// Puts a rendered RuleSet (rules.ts) into the kernel with the ipset and iptables commands, and
// takes all of it out again. Sets are made before the rules that name them and destroyed after
// the rules stop naming them; the rules of every chain change in one iptables-restore, so a
// packet sees either the old policy or the new one.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { iptablesRestore, ipsetRestore, type Names, type RuleSet } from "./rules.ts";

export interface PolicyBackend {
  apply(rs: RuleSet): Promise<void>;
  /** Removes every chain, jump and set of this agent. */
  remove(): Promise<void>;
}

async function run(cmd: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(cmd, { stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

async function must(cmd: string[], stdin?: string): Promise<string> {
  const r = await run(cmd, stdin);
  if (r.code !== 0) throw new Error(`${cmd.join(" ")}: ${r.err.trim() || `exit ${r.code}`}${stdin ? `\ninput:\n${stdin.slice(0, 2000)}` : ""}`);
  return r.out;
}

const BRIDGE_NF = "/proc/sys/net/bridge/bridge-nf-call-iptables";

/**
 * Pods on one node talk across the CNI bridge, which iptables sees only with br_netfilter's
 * bridge-nf-call-iptables on (k3s and kube-router need it too). Linux turns it on by default once
 * br_netfilter is loaded; the agent makes sure, and says if it cannot.
 */
export async function ensureBridgeNetfilter(log: (m: string) => void): Promise<void> {
  if (!existsSync(BRIDGE_NF)) await run(["modprobe", "br_netfilter"]);
  if (!existsSync(BRIDGE_NF)) return log("br_netfilter is not available: NetworkPolicies will not apply between pods of this node");
  try {
    if (readFileSync(BRIDGE_NF, "utf8").trim() !== "1") writeFileSync(BRIDGE_NF, "1\n");
  } catch (err) {
    log(`cannot turn on ${BRIDGE_NF} (${(err as Error).message}): NetworkPolicies will not apply between pods of this node`);
  }
}

/** Our chains among `iptables -S` output of a table. */
const chainsIn = (listing: string, match: (c: string) => boolean) =>
  listing
    .split("\n")
    .filter((l) => l.startsWith("-N "))
    .map((l) => l.slice(3).trim())
    .filter(match);

export function iptablesBackend(n: Names): PolicyBackend {
  const ours = (c: string) => c.startsWith(n.chainPrefix) || c === n.forward || c === n.input;
  const hooks: [string, string, string][] = [
    ["filter", "FORWARD", n.forward],
    ["filter", "INPUT", n.input],
    ["nat", "POSTROUTING", n.nomasq],
  ];
  const listSets = async () =>
    (await must(["ipset", "list", "-n"]))
      .split("\n")
      .map((s) => s.trim())
      .filter((s) => s.startsWith(n.setPrefix));

  return {
    async apply(rs) {
      const existingSets = new Set(await listSets());
      const create = ipsetRestore(rs.sets, existingSets);
      if (create) await must(["ipset", "restore", "-exist"], create);
      const stale = chainsIn(await must(["iptables", "-w", "-S"]), ours).filter((c) => !rs.chains.has(c));
      await must(["iptables-restore", "-w", "--noflush"], iptablesRestore(rs, n, stale));
      for (const [table, parent, chain] of hooks) {
        if ((await run(["iptables", "-w", "-t", table, "-C", parent, "-j", chain])).code !== 0) await must(["iptables", "-w", "-t", table, "-I", parent, "1", "-j", chain]);
      }
      const wanted = new Set(rs.sets.map((s) => s.name));
      for (const s of existingSets) if (!wanted.has(s)) await run(["ipset", "destroy", s]);
    },
    async remove() {
      for (const [table, parent, chain] of hooks) {
        while ((await run(["iptables", "-w", "-t", table, "-D", parent, "-j", chain])).code === 0);
      }
      for (const table of ["filter", "nat"]) {
        const chains = chainsIn((await run(["iptables", "-w", "-t", table, "-S"])).out, (c) => ours(c) || c === n.nomasq);
        for (const c of chains) await run(["iptables", "-w", "-t", table, "-F", c]);
        for (const c of chains) await run(["iptables", "-w", "-t", table, "-X", c]);
      }
      for (const s of await listSets().catch(() => [])) await run(["ipset", "destroy", s]);
    },
  };
}
