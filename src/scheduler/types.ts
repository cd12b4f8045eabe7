// The scheduler core's own lightweight view of nodes and pods: only what filters and scores read.
// nodeInfoFrom/podQueryFrom (convert.ts) build them from Kubernetes Node and Pod objects.

/** Resource amounts in integer units: cpu in millicores, memory and ephemeral storage in bytes. */
export interface Resources {
  cpu: number;
  memory: number;
  ephemeralStorage: number;
}

export interface Allocatable extends Resources {
  pods: number;
}

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  /** Empty means every effect. */
  effect?: TaintEffect | "";
}

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";

export interface NodeSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

/** Expressions and fields are ANDed; a term with neither matches no node. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  /** Only `metadata.name` with In/NotIn, as kube-scheduler supports. */
  matchFields?: NodeSelectorRequirement[];
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface HostPort {
  port: number;
  protocol?: "TCP" | "UDP" | "SCTP";
  /** Empty or 0.0.0.0 means every address. */
  hostIP?: string;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  ready: boolean;
  allocatable: Allocatable;
}

/** What a pod takes from a node once bound or assumed there. */
export interface PodUsage {
  requests: Resources;
  /** Requests with kube-scheduler's defaults (100m cpu, 200Mi memory) for containers without one; used by scoring. */
  nonZero: { cpu: number; memory: number };
  hostPorts: HostPort[];
}

export interface PodQuery extends PodUsage {
  /** spec.nodeName set by the user: only that node passes. */
  nodeName?: string;
  nodeSelector: Record<string, string>;
  /** requiredDuringSchedulingIgnoredDuringExecution terms (ORed); undefined when the pod has none. */
  requiredTerms?: NodeSelectorTerm[];
  preferredTerms: PreferredSchedulingTerm[];
  tolerations: Toleration[];
  /**
   * Weighted scores of the plugins run beside the core (InterPodAffinity, PodTopologySpread) by
   * node name, added to each feasible node's combined score; absent nodes add 0.
   */
  extraScores?: ReadonlyMap<string, number>;
}

/** Filter reasons, exactly as kube-scheduler words them; taint reasons are built per taint. */
export type Rejections = Record<string, number>;

export interface Decision {
  node?: string;
  nodeIndex: number;
  /** Weighted sum of the plugin scores of the chosen node. */
  score?: number;
  feasible: number;
  /**
   * Nodes rejected per reason; a node can count under several resource reasons. Read-only: the
   * wasm scorer shares one frozen object between the pods of a class that see the same counts.
   */
  rejections: Readonly<Rejections>;
}

export interface ScoreWeights {
  /** NodeResourcesFit (LeastAllocated for spread, MostAllocated for binpack). */
  fit: number;
  balanced: number;
  nodeAffinity: number;
  taintToleration: number;
}

export interface ScorerOptions {
  scoring?: "binpack" | "spread";
  weights?: Partial<ScoreWeights>;
  /** "first": lowest node index wins a tie; "random": reservoir sampling with a seeded generator. */
  tieBreak?: "first" | "random";
  seed?: number;
}

export interface ResolvedOptions {
  scoring: "binpack" | "spread";
  weights: ScoreWeights;
  tieBreak: "first" | "random";
  seed: number;
}

/** kube-scheduler's default profile weights. */
export const DEFAULT_WEIGHTS: ScoreWeights = { fit: 1, balanced: 1, nodeAffinity: 2, taintToleration: 3 };

export function resolveOptions(opts: ScorerOptions = {}): ResolvedOptions {
  const weights = { ...DEFAULT_WEIGHTS, ...opts.weights };
  for (const [name, w] of Object.entries(weights)) {
    if (!Number.isInteger(w) || w < 0 || w > 100) throw new Error(`scorer weight ${name} must be an integer 0..100, got ${w}`);
  }
  return {
    scoring: opts.scoring ?? "binpack",
    weights,
    tieBreak: opts.tieBreak ?? "first",
    // xorshift32 never leaves 0, so 0 is not a usable seed.
    seed: (opts.seed ?? 0x9e3779b9) >>> 0 || 1,
  };
}

/**
 * One scheduler core: node state plus filter+score. Node indexes are stable slots handed out by
 * upsertNode; assume/forget account a pod on a node (bound or assumed but not yet confirmed).
 */
export interface Scorer {
  upsertNode(node: NodeInfo): number;
  removeNode(name: string): boolean;
  nodeIndex(name: string): number | undefined;
  assume(pod: PodUsage, nodeIndex: number): void;
  forget(pod: PodUsage, nodeIndex: number): void;
  schedule(pod: PodQuery): Decision;
  /** Nodes currently known (the N of "0/N nodes are available"). */
  readonly nodeCount: number;
}
