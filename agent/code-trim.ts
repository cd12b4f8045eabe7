// Drops the agent's compiled code when its work goes quiet. `kubun agent` runs JSC with the
// baseline JIT off (jsc-options.ts), so what its code costs in memory is bytecode and the
// metadata of every function that has ever run: the start-up's (registration, the CNI config,
// api.proto's parse, the first syncs) and a pod start's (sandbox, image, volumes, containers)
// stay resident for good, although a node runs them once, or once per pod. Bun.shrink() asks JSC
// to throw away the code of functions not running now and collect (it waits until JSC is idle);
// a function that runs again is compiled again from its source, which costs a few milliseconds
// of CPU spread over the next pod's start (measured by bench/podstart.ts).
//
// Measured with bench/podstart.ts (20 pods): about 2.5 MB of anonymous memory less. When: once
// the agent is up, and once the node's pods have seen no event for `quietMs` (a burst of pod
// starts or deletions is over). Pods that keep changing keep it from running at all. Only
// `kubun agent` trims: `kubun up` shares its process with the API server, whose optimised code
// must stay.

export interface CodeTrimmer {
  /** Something happened: trim once nothing more has happened for quietMs. */
  poke(): void;
  stop(): void;
  /** Trims done so far. */
  readonly trims: number;
}

export function codeTrimmer(options: { quietMs?: number; trim?: () => void } = {}): CodeTrimmer {
  const quietMs = options.quietMs ?? 500;
  const trim = options.trim ?? (() => Bun.shrink());
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let trims = 0;
  return {
    poke() {
      if (stopped) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        trims++;
        trim();
      }, quietMs);
      // A pending trim never keeps the process alive.
      timer.unref?.();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    get trims() {
      return trims;
    },
  };
}
