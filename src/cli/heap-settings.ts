// The JavaScriptCore heap setting the `kubun` command runs with. JSC sizes its heap from the
// machine's RAM. On a machine of 16 GiB or more (aggressiveHeapThresholdInMB) it uses its
// "aggressive" growth: after a collection the heap may grow to about 3·e^(-2·heap/RAM) + 1 times
// what survived, nearly 4× for a server whose heap is a small part of the RAM, so the API
// server's garbage (every write's request, copies and events) raised its peak far past its live
// data. Below that, the growth is 2× while the heap is under a quarter of the RAM, 1.5× under
// half, 1.24× past it (smallHeap/mediumHeap/largeHeapGrowthFactor).
//
// Told the machine has 1 GiB, JSC leaves the aggressive mode and grows the heap by 2× up to
// 256 MiB, 1.5× to 512 MiB and 1.24× past it, at no CPU cost we could measure. 512 MiB (1.5× from
// 128 MiB, 1.24× past 256 MiB) takes ~215 MB off the peak and ~110 MB off the settled set at
// 50,000 pods, but costs ~30% more server CPU (more full collections of the same live data), so
// it is a choice left to the user: a BUN_JSC_forceRAMSize already in the environment is kept by
// package.json's scripts (bench/README.md's Memory section has the figures).
//
// JSC reads its options once, from BUN_JSC_* variables, before any JavaScript runs: the setting
// is in the environment the command starts with — package.json's `kubun` and `up` scripts (which
// keep a value the user set) and the shebang of src/cli/main.ts (heap-settings.test.ts keeps them
// equal to this), and bench:memory's server. Tests start servers without it, with JSC's defaults.
export const KUBUN_JSC_ENV: Readonly<Record<string, string>> = { BUN_JSC_forceRAMSize: String(2 ** 30) };

/** The settings as the `NAME=VALUE ...` words that start a command line. */
export const kubunJscAssignments = (): string =>
  Object.entries(KUBUN_JSC_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");

/** The settings as package.json's scripts give them (sh): a value already in the environment is kept. */
export const kubunJscScriptAssignments = (): string =>
  Object.entries(KUBUN_JSC_ENV)
    .map(([k, v]) => `${k}=\${${k}:-${v}}`)
    .join(" ");
