// The JavaScriptCore settings the `kubun` command runs with (its heap, and its JIT's top tier). JSC sizes its heap from the
// machine's RAM: while the process uses less than a quarter of it, the heap may double between
// collections, so on any machine with a few GiB the API server's heap ran at about twice its
// live data, and its garbage (every write's request, copies and events) raised the peak further.
// Told the machine has 1 GiB, JSC grows the heap by 1.5× once the process uses 256 MiB and by
// 1.24× past 512 MiB, as it does for a process that holds much of its machine's memory; the
// collections come more often but each finds the same live data, so the CPU it costs is small
// (bench/README.md's Memory section has the figures). The machine's real memory still decides
// when JSC is critically short of it.
//
// The top JIT tier (FTL) is off. A fresh server's first tens of thousands of requests kept JSC's
// compiler thread busy optimising the request path at that tier: in bench:api's 20,000 creates
// from a cold start it took 58–71 µs of CPU per create beside the 100–140 µs the request itself
// cost (bench/README.md, "Where a create's time goes"), on a machine whose other core runs the
// clients. With FTL off the DFG tier still optimises the hot code, the compiler thread takes
// ~2–9 µs per create, and once the server has settled (after 20,000 creates) the request path
// costs the same either way, within the machine's noise: the API server's work is mostly in
// native code (TLS, HTTP, SQLite, JSON) and in many small, polymorphic functions that FTL's
// longer compile does not pay back. The scheduler's scoring runs in WebAssembly, whose tiers
// this option does not turn off.
//
// JSC reads its options once, from BUN_JSC_* variables, before any JavaScript runs: the setting
// is in the environment the command starts with — package.json's `kubun` and `up` scripts and
// the shebang of src/cli/main.ts (heap-settings.test.ts keeps them equal to this), and
// bench:memory's server. Tests start servers without it, with JSC's defaults.
export const KUBUN_JSC_ENV: Readonly<Record<string, string>> = { BUN_JSC_forceRAMSize: String(2 ** 30), BUN_JSC_useFTLJIT: "0" };

/** The settings as the `NAME=VALUE ...` words that start a command line. */
export const kubunJscAssignments = (): string =>
  Object.entries(KUBUN_JSC_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
