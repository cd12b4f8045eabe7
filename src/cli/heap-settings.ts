// The JavaScriptCore heap setting the `kubun` command runs with. JSC sizes its heap from the
// machine's RAM: while the process uses less than a quarter of it, the heap may double between
// collections, so on any machine with a few GiB the API server's heap ran at about twice its
// live data, and its garbage (every write's request, copies and events) raised the peak further.
// Told the machine has 1 GiB, JSC grows the heap by 1.5× once the process uses 256 MiB and by
// 1.24× past 512 MiB, as it does for a process that holds much of its machine's memory; the
// collections come more often but each finds the same live data, so the CPU it costs is small
// (bench/README.md's Memory section has the figures). The machine's real memory still decides
// when JSC is critically short of it.
//
// JSC reads its options once, from BUN_JSC_* variables, before any JavaScript runs: the setting
// is in the environment the command starts with — package.json's `kubun` and `up` scripts and
// the shebang of src/cli/main.ts (heap-settings.test.ts keeps them equal to this), and
// bench:memory's server. Tests start servers without it, with JSC's defaults.
export const KUBUN_JSC_ENV: Readonly<Record<string, string>> = { BUN_JSC_forceRAMSize: String(2 ** 30) };

/** The settings as the `NAME=VALUE ...` words that start a command line. */
export const kubunJscAssignments = (): string =>
  Object.entries(KUBUN_JSC_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
