// The two pieces of per-pod bookkeeping that used to be TypeScript glue shared by the module and
// its twin (AssemblyScript; the twin does the same in ts-twin.ts): the compact list of non-zero
// rejections written after each schedule() call (and compared with the one the class record's
// previous pod saw), and the pods assumed (or forgotten) since the
// last call added to (taken from) their nodes' columns. Done here, each language pays for its
// own: the bench's indexed figures compare whole pods, and the shared glue diluted the module's
// advantage. The TypeScript side only queues an assumed pod's numbers (no call per pod: a call
// into wasm from a site that also calls the twin costs more than the work).
import {
  H_REJECT, H_REASON_COUNT, H_REJECT_LIST, H_OUT_REJECTED, H_REQ_CPU, H_REQ_MEM, H_REQ_EPH,
  H_REQ_PODS, H_NZ_CPU, H_NZ_MEM, H_NODE_VERSION, H_LOG, H_LOG_MASK, H_PENDING, H_PENDING_COUNT,
  PENDING_DOUBLES, H_OUT_RECORD, H_OUT_LIST_SAME, H_CLASS_TABLE, REC_WORDS, REC_LIST,
} from "../../src/scheduler/layout";
import { ptr, word } from "./_filters";

/** Whether `n` (reason, count) pairs at a and b are equal: one i64 per pair. */
function samePairs(a: usize, b: usize, n: i32): bool {
  for (let k = 0; k < n; k++) if (load<i64>(a + (<usize>k << 3)) != load<i64>(b + (<usize>k << 3))) return false;
  return true;
}

/**
 * Writes the non-zero entries of the rejection histogram at H_REJECT as (reason, count) pairs;
 * for a pod with a class record, compares them with the list the record's previous pod saw
 * (H_OUT_LIST_SAME) and keeps them there when they differ.
 */
export function listRejections(ctx: usize): void {
  const reject = ptr(ctx, H_REJECT);
  const n = word(ctx, H_REASON_COUNT);
  let out = ptr(ctx, H_REJECT_LIST);
  let pairs = 0;
  for (let r = 0; r < n; r++) {
    const count = load<i32>(reject + (<usize>r << 2));
    if (count == 0) continue;
    store<i32>(out, r);
    store<i32>(out, count, 4);
    out += 8;
    pairs++;
  }
  store<i32>(ctx + (<usize>H_OUT_REJECTED << 2), pairs);
  const record = word(ctx, H_OUT_RECORD);
  let same = 0;
  if (record >= 0) {
    const prev = <usize>load<u32>(ptr(ctx, H_CLASS_TABLE) + (<usize>(record * REC_WORDS + REC_LIST) << 2));
    const list = ptr(ctx, H_REJECT_LIST);
    const bytes = <usize>pairs << 3;
    if (load<i32>(prev) == pairs && samePairs(prev + 4, list, pairs)) same = 1;
    else {
      store<i32>(prev, pairs);
      memory.copy(prev + 4, list, bytes);
    }
  }
  store<i32>(ctx + (<usize>H_OUT_LIST_SAME << 2), same);
}

@inline function add(ctx: usize, field: i32, i: i32, v: f64): void {
  const at = ptr(ctx, field) + (<usize>i << 3);
  store<f64>(at, load<f64>(at) + v);
}

/**
 * The pending entries in queue order: each pod's requests counted on node i (sign 1) or no longer
 * (sign -1), host ports aside (the TypeScript side keeps those); the node's version is bumped and
 * its index written to the change log at the entry's sequence, as for every change of a node. The
 * same operations in the same order as the TypeScript accounting they replace: the same doubles.
 */
export function applyPending(ctx: usize): void {
  const count = word(ctx, H_PENDING_COUNT);
  if (count == 0) return;
  const versions = ptr(ctx, H_NODE_VERSION);
  const log = ptr(ctx, H_LOG);
  const mask = <u32>word(ctx, H_LOG_MASK);
  let e = ptr(ctx, H_PENDING);
  for (let k = 0; k < count; k++, e += PENDING_DOUBLES << 3) {
    const i = <i32>load<f64>(e);
    const sign = load<f64>(e, 8);
    const version = versions + (<usize>i << 2);
    store<u32>(version, load<u32>(version) + 1);
    store<i32>(log + (<usize>(<u32>load<f64>(e, 56) & mask) << 2), i);
    add(ctx, H_REQ_CPU, i, sign * load<f64>(e, 16));
    add(ctx, H_REQ_MEM, i, sign * load<f64>(e, 24));
    add(ctx, H_REQ_EPH, i, sign * load<f64>(e, 32));
    add(ctx, H_REQ_PODS, i, sign);
    add(ctx, H_NZ_CPU, i, sign * load<f64>(e, 40));
    add(ctx, H_NZ_MEM, i, sign * load<f64>(e, 48));
  }
  store<i32>(ctx + (<usize>H_PENDING_COUNT << 2), 0);
}
