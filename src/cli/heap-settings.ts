// The JavaScriptCore heap setting the `kubun` command runs with. JSC sizes its heap from the
// machine's RAM. On a machine of 16 GiB or more (aggressiveHeapThresholdInMB) it uses its
// "aggressive" growth: after a collection the heap may grow to about 3·e^(-2·heap/RAM) + 1 times
// what survived, nearly 4× for a server whose heap is a small part of the RAM, so the API
// server's garbage (every write's request, copies and events) raised its peak far past its live
// data. Below that, the growth is 2× while the heap is under a quarter of the RAM, 1.5× under
// half, 1.24× past it (smallHeap/mediumHeap/largeHeapGrowthFactor).
//
// Told the machine has 512 MiB, JSC grows the heap by 1.5× once it holds 128 MiB and by 1.24×
// past 256 MiB: at 50,000 pods (about 200 MB live) the peak fell from ~745 to ~530 MB and the
// settled set from ~545 to ~440 MB against 1 GiB (which grew it 2× there), for about a quarter
// more server CPU; 384 and 256 MiB saved hardly more and cost more CPU (bench/README.md's Memory
// section has the figures). The machine's real memory still decides when JSC is critically
// short of it.
//
// JSC reads its options once, from BUN_JSC_* variables, before any JavaScript runs: the setting
// is in the environment the command starts with — package.json's `kubun` and `up` scripts and
// the shebang of src/cli/main.ts (heap-settings.test.ts keeps them equal to this), and
// bench:memory's server. Tests start servers without it, with JSC's defaults.
export const KUBUN_JSC_ENV: Readonly<Record<string, string>> = { BUN_JSC_forceRAMSize: String(2 ** 29) };

/** The settings as the `NAME=VALUE ...` words that start a command line. */
export const kubunJscAssignments = (): string =>
  Object.entries(KUBUN_JSC_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
