// The WebAssembly scorer: node state in struct-of-arrays inside the module's memory, updated in
// place on every node/binding change (each one also written to the change log); schedule() writes
// the pod's encoded query and makes ONE call into wasm, which finds the pod's class (its key is
// built and hashed there), brings the class's index up to date with the nodes changed since and
// reads its best node, the same one a scan of every node would pick; a pod without an index is
// scanned over equivalence groups of nodes where its checks allow. Semantics are those of
// ts-scorer.ts. Per pod only the words that depend on it are written; addresses are rewritten
// after an allocation.
import { Interner } from "./intern.ts";
import * as L from "./layout.ts";
import { NodeSlots } from "./node-slots.ts";
import { parseLabelInt } from "./predicates.ts";
import {
  type Decision, type NodeInfo, type PodQuery, type PodUsage, type Scorer, type ScorerOptions,
  resolveOptions,
} from "./types.ts";
import { ChangeLog } from "./wasm-change-log.ts";
import { ClassCache } from "./wasm-class-cache.ts";
import { GroupBlock } from "./wasm-groups.ts";
import { type HeapStats, NodeTable, Region, WasmHeap } from "./wasm-heap.ts";
import { type SchedulerCore, type SchedulerExports, instantiateScheduler } from "./wasm-loader.ts";
import { QueryEncoder, hostIPId, hostPortKey } from "./wasm-query.ts";
import { RejectionList } from "./wasm-rejections.ts";
import { type TaintFlags, TaintTable } from "./wasm-taints.ts";

export interface WasmScorerOptions extends ScorerOptions {
  /** Another build of the module (tests); defaults to build/wasm/scheduler.wasm. */
  wasmPath?: string;
  /** Reuse per-node results across pods of the same equivalence class (default true). */
  equivalenceCache?: boolean;
  /**
   * Scan label-free pods without an index over equivalence groups of equal nodes, not node by
   * node (default true; the bench's node-by-node scan turns it off).
   */
  equivalenceGroups?: boolean;
  /** Change log entries (tests shrink it to force index rebuilds); default 16384. */
  changeLogSize?: number;
  /** Classes kept by the equivalence cache (tests shrink it to force recycling); default 32. */
  maxClasses?: number;
  /** Initial node table capacity (tests shrink it to force growth); default 256. */
  nodeCapacity?: number;
  /**
   * Another implementation of the module's schedule(header) and account() over the same memory,
   * in place of the wasm exports (the bench and its test pass the TypeScript twin, ts-twin.ts).
   */
  core?: (module: SchedulerExports) => SchedulerCore;
}

export interface WasmScorer extends Scorer {
  /** The module's linear memory: its size, what was handed out and is live (bench:memory's accounting). */
  readonly memoryStats: HeapStats;
}

interface MemoryViews { grows: number; u8: Uint8Array; i32: Int32Array; f64: Float64Array }

function memoryViews(heap: WasmHeap): MemoryViews {
  const buffer = heap.buffer;
  return { grows: heap.grows, u8: new Uint8Array(buffer), i32: new Int32Array(buffer), f64: new Float64Array(buffer) };
}

export function createWasmScorer(options: WasmScorerOptions = {}): WasmScorer {
  const opts = resolveOptions(options);
  const wasm = instantiateScheduler(options.wasmPath);
  const heap = new WasmHeap(wasm.memory, wasm.heapBase());
  const header = heap.alloc(L.HEADER_WORDS * 4);
  const core = options.core ? options.core(wasm) : wasm;
  const scheduleCore = core.schedule;
  const flushCore = core.flush;
  const podPtr = heap.alloc(L.POD_DOUBLES * 8);
  const table = new NodeTable(heap, options.nodeCapacity);
  const log = new ChangeLog(heap, options.changeLogSize);
  const valueNum = new Region(heap, 8);
  const taintFlags = new Region(heap, 1);
  const reject = new Region(heap, 4);
  const rejectList = new Region(heap, 8);
  /** Pods assumed or forgotten since the last core call, applied by the core (wasm/assembly/_outputs.ts). */
  const pendingPtr = heap.alloc(L.PENDING_MAX * L.PENDING_DOUBLES * 8);
  let pending = 0;
  const program = new Region(heap, 4);
  const extra = new Region(heap, 4);

  const slots = new NodeSlots();
  const columns = new Interner(0);
  const values = new Interner(1);
  const hostIPs = new Interner(1);
  const taintTable = new TaintTable();
  const encoder = new QueryEncoder({ columns, values, hostIPs, slots });
  const classes = options.equivalenceCache === false ? undefined : new ClassCache(heap, options.maxClasses);
  const groups = options.equivalenceGroups === false ? undefined : new GroupBlock(heap);

  // Views are rebuilt only when wasm memory grows (which detaches them): schedule() is hot.
  let mem = memoryViews(heap);
  const views = () => (mem.grows === heap.grows ? mem : (mem = memoryViews(heap)));
  /** The header's word index: header words are read and written through views().i32 at hw + H_*. */
  const hw = header >> 2;
  views().i32[hw + L.H_RNG] = opts.seed | 0;

  function internValue(v: string): number {
    const id = values.intern(v);
    valueNum.ensure(id + 1);
    new Float64Array(heap.buffer, valueNum.ptr, valueNum.capacity)[id] = parseLabelInt(v);
    return id;
  }

  /** Every change of a node's state: cached per-class results for it become stale. */
  function touch(index: number): void {
    table.views.version[index]!++;
    log.record(index);
  }

  /**
   * A pod's usage counted on a node (sign 1) or taken off (-1). Host ports are kept here; the
   * requests, the node's version and its change log entry are queued for the core, which applies
   * them at its next call (wasm, or the twin's TypeScript: each language pays for its own).
   */
  function account(pod: PodUsage, index: number, sign: 1 | -1): void {
    if (slots.nameAt(index) === undefined) throw new Error(`no node at index ${index}`);
    if (pod.hostPorts.length !== 0) accountPorts(pod, index, sign);
    if (pending === L.PENDING_MAX) flush();
    const f = views().f64;
    const e = (pendingPtr >> 3) + pending * L.PENDING_DOUBLES;
    const r = pod.requests;
    f[e] = index;
    f[e + 1] = sign;
    f[e + 2] = r.cpu;
    f[e + 3] = r.memory;
    f[e + 4] = r.ephemeralStorage;
    f[e + 5] = pod.nonZero.cpu;
    f[e + 6] = pod.nonZero.memory;
    f[e + 7] = log.seq;
    log.seq = (log.seq + 1) >>> 0;
    pending++;
  }

  /** Has the core apply the queued accounts now: before the TypeScript side writes a node. */
  function flush(): void {
    if (pending === 0) return;
    writeLayout();
    views().i32[hw + L.H_PENDING_COUNT] = pending;
    flushCore(header);
    pending = 0;
  }

  function accountPorts(pod: PodUsage, index: number, sign: 1 | -1): void {
    if (sign > 0) table.ensurePortStride(table.views.portCount[index]! + pod.hostPorts.length);
    const v = table.views;
    const row = index * table.portStride * 2;
    for (const p of pod.hostPorts) {
      const key = hostPortKey(p);
      const ip = hostIPId(p, hostIPs, true);
      const count = v.portCount[index]!;
      if (sign > 0) {
        v.ports[row + count * 2] = key;
        v.ports[row + count * 2 + 1] = ip;
        v.portCount[index] = count + 1;
        continue;
      }
      for (let k = 0; k < count; k++) {
        if (v.ports[row + k * 2] !== key || v.ports[row + k * 2 + 1] !== ip) continue;
        // Order of a node's used ports does not matter: move the last entry into the hole.
        v.ports[row + k * 2] = v.ports[row + (count - 1) * 2]!;
        v.ports[row + k * 2 + 1] = v.ports[row + (count - 1) * 2 + 1]!;
        v.portCount[index] = count - 1;
        break;
      }
    }
  }

  /**
   * The header words that hold addresses, strides and settings: rewritten only when something was
   * allocated since (an address may have moved), not for every pod.
   */
  let layoutAt = -1;
  function writeLayout(): void {
    if (layoutAt === heap.allocations) return;
    const p = table.ptr;
    const w = views().i32;
    w[hw + L.H_STATE] = p.state;
    w[hw + L.H_ALLOC_CPU] = p.f64.allocCpu;
    w[hw + L.H_ALLOC_MEM] = p.f64.allocMem;
    w[hw + L.H_ALLOC_EPH] = p.f64.allocEph;
    w[hw + L.H_ALLOC_PODS] = p.f64.allocPods;
    w[hw + L.H_REQ_CPU] = p.f64.reqCpu;
    w[hw + L.H_REQ_MEM] = p.f64.reqMem;
    w[hw + L.H_REQ_EPH] = p.f64.reqEph;
    w[hw + L.H_REQ_PODS] = p.f64.reqPods;
    w[hw + L.H_NZ_CPU] = p.f64.nzCpu;
    w[hw + L.H_NZ_MEM] = p.f64.nzMem;
    w[hw + L.H_LABELS] = p.labels;
    w[hw + L.H_LABEL_STRIDE] = table.labelStride;
    w[hw + L.H_TAINT_COUNT] = p.taintCount;
    w[hw + L.H_TAINTS] = p.taints;
    w[hw + L.H_TAINT_STRIDE] = table.taintStride;
    w[hw + L.H_PORT_COUNT] = p.portCount;
    w[hw + L.H_PORTS] = p.ports;
    w[hw + L.H_PORT_STRIDE] = table.portStride;
    w[hw + L.H_VALUE_NUM] = valueNum.ptr;
    w[hw + L.H_TAINT_FLAGS] = taintFlags.ptr;
    w[hw + L.H_REJECT] = reject.ptr;
    w[hw + L.H_REJECT_LIST] = rejectList.ptr;
    w[hw + L.H_PENDING] = pendingPtr;
    w[hw + L.H_SCRATCH_IDX] = p.scratchIdx;
    w[hw + L.H_SCRATCH_BASE] = p.scratchBase;
    w[hw + L.H_SCRATCH_AFF] = p.scratchAff;
    w[hw + L.H_SCRATCH_TAINT] = p.scratchTaint;
    w[hw + L.H_W_FIT] = opts.weights.fit;
    w[hw + L.H_W_BALANCED] = opts.weights.balanced;
    w[hw + L.H_W_AFFINITY] = opts.weights.nodeAffinity;
    w[hw + L.H_W_TAINT] = opts.weights.taintToleration;
    w[hw + L.H_MOST_ALLOCATED] = opts.scoring === "binpack" ? 1 : 0;
    w[hw + L.H_TIE_RANDOM] = opts.tieBreak === "random" ? 1 : 0;
    w[hw + L.H_POD] = podPtr;
    w[hw + L.H_NODE_VERSION] = p.version;
    w[hw + L.H_LOG] = log.ptr;
    w[hw + L.H_LOG_MASK] = log.mask;
    w[hw + L.H_GROUPS] = groups ? groups.ptr : 0;
    w[hw + L.H_CLASS_TABLE] = classes ? classes.records : 0;
    w[hw + L.H_KEY] = classes ? classes.key : 0;
    w[hw + L.H_TREE_LEAVES] = classes ? classes.leaves : 0;
    layoutAt = heap.allocations;
  }

  /** What the areas were last prepared for (writeHeader): node capacity, reasons, program words. */
  let preparedCapacity = -1;
  let preparedReasons = -1;
  let preparedLength = -1;
  /** The program address the header's query words describe the empty program at (-1: they do not). */
  let emptyAt = -1;
  /** Taint flags last copied into wasm memory (pods of one workload share them), and when. */
  let flagsCopied: TaintFlags | undefined;
  let flagsAt = -1;

  function writeHeader(pod: PodQuery): void {
    const enc = encoder.encode(pod);
    const reasons = L.R_TAINT_BASE + taintTable.size;
    // Everything that may allocate comes first; writeLayout() then sees every address. The areas
    // depend on the node capacity, the reasons and the program's length: checked one by one only
    // when one of them moved past what the last pod prepared.
    const tolerations = taintTable.flagsFor(pod.tolerations);
    if (table.capacity !== preparedCapacity || reasons !== preparedReasons || enc.length > preparedLength) {
      if (groups) groups.ensure(table.capacity);
      program.ensure(enc.length);
      taintFlags.ensure(taintTable.size);
      reject.ensure(reasons);
      rejectList.ensure(reasons);
      if (classes) classes.prepare(table.capacity, reasons, L.KEY_FIXED + enc.length);
      preparedCapacity = table.capacity;
      preparedReasons = reasons;
      preparedLength = enc.length;
    }
    if (pod.extraScores) extra.ensure(slots.highWater);
    writeLayout();

    const m = views();
    const w = m.i32;
    const words = enc.words;
    for (let k = 0, at = program.ptr >> 2; k < enc.length; k++) w[at + k] = words[k]!;
    if (flagsCopied !== tolerations || flagsAt !== heap.allocations) {
      // A byte loop: a few taints at most in most clusters, where set() costs a call per pod.
      const flags = tolerations.flags;
      const u8 = m.u8;
      for (let k = 0, at = taintFlags.ptr; k < flags.length; k++) u8[at + k] = flags[k]!;
      flagsCopied = tolerations;
      flagsAt = heap.allocations;
    }
    w[hw + L.H_NODE_COUNT] = slots.highWater;
    w[hw + L.H_REASON_COUNT] = reasons;
    w[hw + L.H_REQUIRED_NODE] = pod.nodeName ? slots.indexOf(pod.nodeName) ?? -2 : -1;
    w[hw + L.H_TOLERATE_UNSCHEDULABLE] = tolerations.unschedulable ? 1 : 0;
    w[hw + L.H_TAINT_SCORING] = tolerations.scoring ? 1 : 0;
    w[hw + L.H_TOLERATIONS_ID] = tolerations.id;
    const at = program.ptr;
    // The empty program (most pods) has the same nine words: rewritten after a pod with rules or a move.
    const empty = enc.length === 0 && enc.termCount === -1;
    if (!empty || emptyAt !== at) {
      w[hw + L.H_Q_REQUIRED] = at + enc.required[0] * 4;
      w[hw + L.H_Q_REQUIRED_END] = at + enc.required[1] * 4;
      w[hw + L.H_Q_TERM_COUNT] = enc.termCount;
      w[hw + L.H_Q_TERMS] = at + enc.terms * 4;
      w[hw + L.H_Q_PREF_COUNT] = enc.prefCount;
      w[hw + L.H_Q_PREFS] = at + enc.prefs * 4;
      w[hw + L.H_Q_PORT_COUNT] = enc.portCount;
      w[hw + L.H_Q_PORTS] = at + enc.ports * 4;
      w[hw + L.H_Q_LENGTH] = enc.length;
      emptyAt = empty ? at : -1;
    }
    w[hw + L.H_LOG_SEQ] = log.seq | 0;
    w[hw + L.H_CLASS_RECORDS] = classes ? classes.count : 0;
    w[hw + L.H_PENDING_COUNT] = pending;

    const f = m.f64;
    const podAt = podPtr >> 3;
    f[podAt + L.POD_CPU] = pod.requests.cpu;
    f[podAt + L.POD_MEM] = pod.requests.memory;
    f[podAt + L.POD_EPH] = pod.requests.ephemeralStorage;
    f[podAt + L.POD_NZ_CPU] = pod.nonZero.cpu;
    f[podAt + L.POD_NZ_MEM] = pod.nonZero.memory;

    w[hw + L.H_EXTRA_SCORES] = 0;
    if (pod.extraScores) {
      // Scores of this pod alone: no class shares them, so the full scan serves it.
      const at = extra.ptr >> 2;
      w.fill(0, at, at + slots.highWater);
      for (const [name, score] of pod.extraScores) {
        const i = slots.indexOf(name);
        if (i !== undefined) w[at + i] = score;
      }
      w[hw + L.H_EXTRA_SCORES] = extra.ptr;
    }
  }

  const rejections = new RejectionList(taintTable.reasons);
  function readRejections(record: number) {
    const w = views().i32;
    return rejections.read(w, rejectList.ptr >> 2, w[hw + L.H_OUT_REJECTED]! * 2, record, w[hw + L.H_OUT_LIST_SAME] === 1);
  }

  return {
    get nodeCount() {
      return slots.size;
    },
    nodeIndex: (name) => slots.indexOf(name),
    get memoryStats() {
      return heap.stats;
    },

    upsertNode(node: NodeInfo): number {
      flush();
      const { index, created } = slots.acquire(node.name);
      table.ensureCapacity(slots.highWater);
      const labelKeys = Object.keys(node.labels);
      for (const k of labelKeys) columns.intern(k);
      table.ensureLabelStride(columns.size);
      table.ensureTaintStride(node.taints.length);
      const labelIds = labelKeys.map((k) => internValue(node.labels[k]!));
      const taintRow = node.taints.map((t) => taintTable.intern(t));

      touch(index);
      const v = table.views;
      const f = v.f64;
      v.state[index] = L.NODE_PRESENT | (node.ready ? L.NODE_READY : 0) | (node.unschedulable ? L.NODE_UNSCHEDULABLE : 0);
      f.allocCpu[index] = node.allocatable.cpu;
      f.allocMem[index] = node.allocatable.memory;
      f.allocEph[index] = node.allocatable.ephemeralStorage;
      f.allocPods[index] = node.allocatable.pods;
      if (created) {
        for (const c of ["reqCpu", "reqMem", "reqEph", "reqPods", "nzCpu", "nzMem"] as const) f[c][index] = 0;
        v.portCount[index] = 0;
      }
      const row = index * table.labelStride;
      v.labels.fill(0, row, row + table.labelStride);
      labelKeys.forEach((k, i) => (v.labels[row + columns.get(k)!] = labelIds[i]!));
      v.taintCount[index] = taintRow.length;
      v.taints.set(taintRow, index * table.taintStride);
      return index;
    },

    removeNode(name: string): boolean {
      flush();
      const index = slots.release(name);
      if (index === undefined) return false;
      table.views.state[index] = 0;
      touch(index);
      return true;
    },

    assume: (pod, index) => account(pod, index, 1),
    forget: (pod, index) => account(pod, index, -1),

    schedule(pod: PodQuery): Decision {
      writeHeader(pod);
      const best = scheduleCore(header);
      pending = 0;
      const w = views().i32;
      const rejected = readRejections(w[hw + L.H_OUT_RECORD]!);
      const decision: Decision = best < 0
        ? { nodeIndex: -1, feasible: 0, rejections: rejected }
        : { node: slots.nameAt(best), nodeIndex: best, score: w[hw + L.H_OUT_SCORE]!, feasible: w[hw + L.H_OUT_FEASIBLE]!, rejections: rejected };
      // The class cache's policy, after the decision was read (a new record may grow memory).
      if (classes && !pod.extraScores) {
        const record = w[hw + L.H_OUT_RECORD]!;
        if (record >= 0) classes.hit(record);
        else classes.miss(w[hw + L.H_OUT_HASH]!, w[hw + L.H_OUT_KEY_LENGTH]!);
      }
      return decision;
    },
  };
}
