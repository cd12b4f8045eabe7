// Audit annotations: what a step of the request (authorization, admission) wants its audit event
// to carry, such as authorization.k8s.io/decision. A no-op when the request isn't being audited.
type ContextLike = { get(key: never): unknown };

const KEY = "auditAnnotations" as never;

export function addAuditAnnotation(c: ContextLike, key: string, value: string): void {
  const annotations = c.get(KEY) as Record<string, string> | undefined;
  if (annotations) annotations[key] = value;
}

/** The annotations map an audited request collects into; set by the audit middleware. */
export function startAuditAnnotations(c: { set(key: never, value: never): void }): Record<string, string> {
  const annotations: Record<string, string> = {};
  c.set(KEY, annotations as never);
  return annotations;
}
