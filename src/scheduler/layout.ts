// The contract between the TypeScript side and wasm/assembly/scheduler.ts: word offsets into the
// context header (an i32 array in wasm memory), node state bits, selector opcodes and reason ids.
// Plain `export const NAME = <int>;` lines only, so AssemblyScript can import this file too.

// Header words: sizes, pointers (byte offsets into wasm memory) and scalar settings.
export const H_NODE_COUNT = 0;
export const H_STATE = 1;
export const H_ALLOC_CPU = 2;
export const H_ALLOC_MEM = 3;
export const H_ALLOC_EPH = 4;
export const H_ALLOC_PODS = 5;
export const H_REQ_CPU = 6;
export const H_REQ_MEM = 7;
export const H_REQ_EPH = 8;
export const H_REQ_PODS = 9;
export const H_NZ_CPU = 10;
export const H_NZ_MEM = 11;
export const H_LABELS = 12;
export const H_LABEL_STRIDE = 13;
export const H_TAINT_COUNT = 14;
export const H_TAINTS = 15;
export const H_TAINT_STRIDE = 16;
export const H_PORT_COUNT = 17;
export const H_PORTS = 18;
export const H_PORT_STRIDE = 19;
export const H_VALUE_NUM = 20;
export const H_TAINT_FLAGS = 21;
export const H_REJECT = 22;
export const H_REASON_COUNT = 23;
export const H_SCRATCH_IDX = 24;
export const H_SCRATCH_BASE = 25;
export const H_SCRATCH_AFF = 26;
export const H_SCRATCH_TAINT = 27;
export const H_W_FIT = 28;
export const H_W_BALANCED = 29;
export const H_W_AFFINITY = 30;
export const H_W_TAINT = 31;
export const H_MOST_ALLOCATED = 32;
export const H_TIE_RANDOM = 33;
export const H_RNG = 34;
export const H_POD = 35;
export const H_REQUIRED_NODE = 36;
export const H_TOLERATE_UNSCHEDULABLE = 37;
export const H_TAINT_SCORING = 38;
export const H_Q_REQUIRED = 39;
export const H_Q_REQUIRED_END = 40;
export const H_Q_TERM_COUNT = 41;
export const H_Q_TERMS = 42;
export const H_Q_PREF_COUNT = 43;
export const H_Q_PREFS = 44;
export const H_Q_PORT_COUNT = 45;
export const H_Q_PORTS = 46;
export const H_OUT_SCORE = 47;
export const H_OUT_FEASIBLE = 48;
// Equivalence cache (0 pointers = off): per node version, and for the pod's class one record per
// node slot (CN_WORDS words at H_CLASS_STAMP: the version it was evaluated at, the outcome, FEASIBLE
// or a rejection, and the raw scores). Interleaved, so the results of a changed node are one cache
// line rather than one per array. H_CLASS_OUTCOME..H_CLASS_TAINT are the same records' field
// addresses (H_CLASS_STAMP + 4 × CN_*), for readers of the header; the core reads H_CLASS_STAMP.
export const H_NODE_VERSION = 49;
export const H_CLASS_STAMP = 50;
export const H_CLASS_OUTCOME = 51;
export const H_CLASS_BASE = 52;
export const H_CLASS_AFF = 53;
export const H_CLASS_TAINT = 54;
// Incremental index of the pod's class (see wasm/assembly/_class-index.ts): a few state words,
// a max tournament tree of the combined score over node slots (i64 keys), max trees of the raw
// affinity and PreferNoSchedule counts over feasible nodes, the class's rejection histogram and
// the number of tree leaves (a power of two at least the node capacity, and at least 2). The trees
// hold their inner nodes 1 .. leaves - 1; the leaves are in the node records (CN_KEY, and the raw
// scores of feasible nodes).
export const H_CLASS_META = 55;
export const H_CLASS_TREE = 56;
export const H_CLASS_AFF_MAX = 57;
export const H_CLASS_TAINT_MAX = 58;
export const H_CLASS_HIST = 59;
export const H_TREE_LEAVES = 60;
// Change log: a ring of node indexes (power-of-two size) written on every node version bump, and
// the count of entries ever written; a class replays the entries written since it last looked.
export const H_LOG = 61;
export const H_LOG_MASK = 62;
export const H_LOG_SEQ = 63;
// Per-node scores the TypeScript plugins beside the wasm (InterPodAffinity, PodTopologySpread)
// computed for this pod, already weighted: i32 per node slot, added to the combined score.
// 0 = none; a pod with them takes the full scan (its scores are its own, never a class's).
export const H_EXTRA_SCORES = 64;
// Equivalence groups of nodes (wasm/assembly/_groups.ts): one block of G_* words and arrays,
// 0 = off. Nodes equal in everything a label-free pod's filters and scores read fall into one
// group; a full scan for such a pod evaluates each group once, at its lowest-index member.
export const H_GROUPS = 65;
// The class cache's records (wasm/assembly/_class-key.ts): the core builds the pod's class key
// from the query (into H_KEY), hashes it and looks it up among H_CLASS_RECORDS records of
// REC_WORDS words at H_CLASS_TABLE (0 = cache off); a hit fills the H_CLASS_* words above. Out:
// the key's hash and length, and the record used (-1: none), for the TypeScript side's policy.
export const H_CLASS_TABLE = 66;
export const H_CLASS_RECORDS = 67;
export const H_KEY = 68;
export const H_TOLERATIONS_ID = 69;
export const H_Q_LENGTH = 70;
export const H_OUT_HASH = 71;
export const H_OUT_KEY_LENGTH = 72;
export const H_OUT_RECORD = 73;
// The rejections as a compact list the core writes after every call: H_OUT_REJECTED pairs of
// (reason id, count) at H_REJECT_LIST (room for 2 × H_REASON_COUNT words), only non-zero counts,
// in reason order, so the TypeScript side reads a pod's few reasons rather than walking them all.
export const H_REJECT_LIST = 74;
export const H_OUT_REJECTED = 75;
// Pods assumed or forgotten since the last call (wasm/assembly/_outputs.ts): H_PENDING_COUNT
// entries of PENDING_DOUBLES f64 at H_PENDING (node index, sign, the five request doubles, change
// log sequence), applied to the node columns by the core at the start of its next call.
export const H_PENDING = 76;
export const H_PENDING_COUNT = 77;
// 1 when the class record used (H_OUT_RECORD) saw, at its previous call, the same list of
// rejections as this call's (compared by the core against the record's REC_LIST copy), so the
// TypeScript side hands out the object it built then without reading the list.
export const H_OUT_LIST_SAME = 78;
export const PENDING_DOUBLES = 8;
export const PENDING_MAX = 256;
export const HEADER_WORDS = 80;

// One class record: its key (hash, where, how many words; length -1 = free record) and the
// addresses of the class's per-node arrays and index, as the H_CLASS_* header words want them.
export const REC_HASH = 0;
export const REC_KEY = 1;
export const REC_KEY_LENGTH = 2;
export const REC_STAMP = 3;
export const REC_OUTCOME = 4;
export const REC_BASE = 5;
export const REC_AFF = 6;
export const REC_TAINT = 7;
export const REC_META = 8;
export const REC_TREE = 9;
export const REC_AFF_MAX = 10;
export const REC_TAINT_MAX = 11;
export const REC_HIST = 12;
/** The list of rejections the record's last pod saw: its pair count (-1: none yet), then the pairs. */
export const REC_LIST = 13;
export const REC_WORDS = 16;
/** Key words before the program's: the pod's request doubles and the pod-dependent header words. */
export const KEY_FIXED = 21;

// Words at the start of the H_GROUPS block, then its arrays (see groupArrays in _groups.ts):
// per node slot the group, the next and previous member and the version grouped at; per group
// its first and last member, size, hash, next group in its hash bucket, position in the live
// list; the live list, the free list; the hash buckets.
export const G_VALID = 0;
export const G_SEEN = 1;
export const G_LIVE = 2;
export const G_FREE = 3;
export const G_CAPACITY = 4;
export const G_BUCKETS = 5;
export const G_WORDS = 8;
/** Arrays of G_CAPACITY words in a group block (after G_WORDS; the buckets come last). */
export const G_ARRAYS = 12;
/** Bytes per slot after the buckets: the wasm group lanes' dense copies (_group-lanes.ts), plus 16 to align. */
export const G_DENSE_BYTES = 10 * 8 + 3 * 4;

// Words of a class's node record (at H_CLASS_STAMP + node slot × CN_WORDS × 4; CN_WORDS = 1 << CN_SHIFT).
export const CN_STAMP = 0;
export const CN_OUTCOME = 1;
export const CN_BASE = 2;
export const CN_AFF = 3;
export const CN_TAINT = 4;
/** The slot's leaf of the class's score tree: the i64 key (two words, 8-byte aligned). */
export const CN_KEY = 6;
export const CN_WORDS = 8;
export const CN_SHIFT = 3;

// Class state words at H_CLASS_META.
export const META_VALID = 0;
export const META_SEEN = 1;
export const META_FEASIBLE = 2;
export const META_MAX_AFF = 3;
export const META_MAX_TAINT = 4;
export const META_WORDS = 8;

// Pod request doubles at H_POD.
export const POD_CPU = 0;
export const POD_MEM = 1;
export const POD_EPH = 2;
export const POD_NZ_CPU = 3;
export const POD_NZ_MEM = 4;
export const POD_DOUBLES = 5;

// Node state bits (one byte per node slot).
export const NODE_PRESENT = 1;
export const NODE_READY = 2;
export const NODE_UNSCHEDULABLE = 4;

// Per-pod flags for each interned taint.
export const TAINT_BLOCKS = 1;
export const TAINT_PREFER_AVOID = 2;

// Selector expression opcodes: [column, op, count, payload...].
export const OP_IN = 0;
export const OP_NOT_IN = 1;
export const OP_EXISTS = 2;
export const OP_DOES_NOT_EXIST = 3;
export const OP_GT = 4;
export const OP_LT = 5;
export const OP_NAME_IN = 6;
export const OP_NAME_NOT_IN = 7;

// Rejection reasons in filter order; untolerated taint t counts at R_TAINT_BASE + t.
export const R_NOT_READY = 0;
export const R_UNSCHEDULABLE = 1;
export const R_NODE_NAME = 2;
export const R_NODE_AFFINITY = 3;
export const R_NODE_PORTS = 4;
export const R_TOO_MANY_PODS = 5;
export const R_INSUFFICIENT_CPU = 6;
export const R_INSUFFICIENT_MEMORY = 7;
export const R_INSUFFICIENT_EPHEMERAL = 8;
export const R_TAINT_BASE = 9;

// Cached outcome of a node: feasible, a reason id, or RESOURCE_FLAG | bits of the R_* resource
// reasons counted from R_TOO_MANY_PODS (NodeResourcesFit can report several at once).
export const OUTCOME_FEASIBLE = -1;
/** A free slot (no node): neither feasible nor counted in the histogram. */
export const OUTCOME_ABSENT = -2;
export const OUTCOME_RESOURCES = 1073741824;
