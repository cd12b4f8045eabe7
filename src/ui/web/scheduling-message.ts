// kube-scheduler's FailedScheduling message, taken apart for the why-Pending panel.
export interface PendingReasons {
  available?: string;
  total?: number;
  reasons: { count: number; reason: string }[];
  preemption?: string;
}

/** Splits kube-scheduler's "0/N nodes are available: 2 reason, 1 other reason." into its parts. */
export function parseSchedulingMessage(message: string): PendingReasons {
  const [main, preemption] = message.split(/\s*preemption:\s*/);
  const m = /^(\d+)\/(\d+) nodes are available:?\s*(.*)$/s.exec((main ?? "").trim());
  if (!m) return { reasons: message ? [{ count: 0, reason: message }] : [] };
  const reasons = m[3]!
    .replace(/\.$/, "")
    .split(/,\s*(?=\d+\s)/)
    .map((part) => /^(\d+)\s+(.*)$/s.exec(part.trim()))
    .filter((x): x is RegExpExecArray => !!x)
    .map((x) => ({ count: Number(x[1]), reason: x[2]!.replace(/\.$/, "") }));
  return { available: m[1], total: Number(m[2]), reasons, preemption: preemption?.trim() };
}
