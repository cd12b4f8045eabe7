// @grpc/grpc-js times its reconnect back-off (BackoffTimeout: every subchannel, the resolver)
// with Date's *local-time* methods: `endTime.setMilliseconds(endTime.getMilliseconds() + delay)`.
// The first local-time operation in a JSC process initialises ICU's time zone support: the
// zone database, the default zone's rules and its display strings. Measured in a bare Bun
// process, that one call costs about 1.1 MB of anonymous memory and 1.8 MB more of the bun
// binary's pages (ICU's code and data); in `kubun agent` the first CRI connection made it, and
// nothing else in the agent ever asks for local time (bench/podstart.ts: ICU's data pages in the
// agent went from 269 to none). So the CRI client's back-off dates do their arithmetic in UTC:
// adding `delay` milliseconds to an instant is the same instant in every zone (local arithmetic
// differs only across a daylight-saving change, where it was off by the change), the timers and
// their delays are grpc-js's own, untouched. The class is grpc-js's public `experimental` export,
// the one every subchannel uses; if a grpc-js release renames what is wrapped here, nothing is
// wrapped and the agent only pays the memory again (agent/cri/grpc-utc-backoff.test.ts notices).
import * as grpc from "@grpc/grpc-js";

/** A Date whose millisecond accessors are UTC's: no time zone needed. */
class UtcMillisDate extends Date {
  override getMilliseconds(): number {
    return this.getUTCMilliseconds();
  }
  override setMilliseconds(ms: number): number {
    return this.setUTCMilliseconds(ms);
  }
}

interface BackoffInternals {
  startTime: Date;
  running: boolean;
  runTimer(delay: number): void;
  reset(): void;
}

const utc = (d: Date) => (d instanceof UtcMillisDate ? d : new UtcMillisDate(d.getTime()));

let installed: boolean | undefined;

/** Wraps BackoffTimeout's two local-time methods once; false when grpc-js no longer has them. */
export function useUtcBackoffDates(): boolean {
  if (installed !== undefined) return installed;
  const proto = grpc.experimental?.BackoffTimeout?.prototype as unknown as BackoffInternals | undefined;
  const { runTimer, reset } = proto ?? {};
  if (!proto || typeof runTimer !== "function" || typeof reset !== "function") return (installed = false);
  proto.runTimer = function (this: BackoffInternals, delay: number) {
    this.startTime = utc(this.startTime);
    return runTimer.call(this, delay);
  };
  proto.reset = function (this: BackoffInternals) {
    if (this.running) this.startTime = utc(this.startTime);
    return reset.call(this);
  };
  return (installed = true);
}
