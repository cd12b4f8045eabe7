// The shape floor's commit thread (bench/shape-floor.ts --commit-worker): the same SQLite log
// (src/store/sqlite-log.ts: WAL, synchronous=FULL, one transaction per group) appended on a Bun
// Worker of its own, so that the event loop serving requests does not wait out each group's
// fsync. The groups arrive in order and are answered in order; a write is still answered only
// after its group committed. Whether that is worth doing in kubun is what the variant measures.
import { SqliteLog, type LogRow } from "../src/store/sqlite-log.ts";

declare const self: Worker;
let log: SqliteLog | undefined;

self.onmessage = (e: MessageEvent<{ open: string } | { rows: LogRow[] }>) => {
  const m = e.data;
  if ("open" in m) {
    log = new SqliteLog(m.open, { synchronous: "full" });
    return;
  }
  const t = performance.now();
  try {
    log!.append(m.rows);
    self.postMessage({ ms: performance.now() - t });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
