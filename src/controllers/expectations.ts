// ControllerExpectations (pkg/controller/controller_utils.go): a controller that has just asked
// for N pods to be created or deleted waits until its informer has seen them before it counts
// pods again, so a lagging watch never makes it create (or delete) the same replicas twice.
// Expectations that are never met (a lost event) expire after a TTL, as in Kubernetes.

interface Expectation {
  add: number;
  /** Keys of pods we asked to delete and have not yet seen go. */
  deletes: Set<string>;
  at: number;
}

export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

export class Expectations {
  private readonly byController = new Map<string, Expectation>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /** True when the controller may trust its cache: nothing outstanding, or the wait expired. */
  satisfied(controllerKey: string): boolean {
    const e = this.byController.get(controllerKey);
    if (!e) return true;
    if (e.add <= 0 && e.deletes.size === 0) return true;
    return this.now() - e.at > this.ttlMs;
  }

  expectCreations(controllerKey: string, count: number): void {
    this.byController.set(controllerKey, { add: count, deletes: new Set(), at: this.now() });
  }

  expectDeletions(controllerKey: string, podKeys: string[]): void {
    this.byController.set(controllerKey, { add: 0, deletes: new Set(podKeys), at: this.now() });
  }

  creationObserved(controllerKey: string): void {
    const e = this.byController.get(controllerKey);
    if (e) e.add--;
  }

  deletionObserved(controllerKey: string, podKey: string): void {
    this.byController.get(controllerKey)?.deletes.delete(podKey);
  }

  /** Creations that failed will never be observed: stop waiting for them. */
  lowerCreations(controllerKey: string, count: number): void {
    const e = this.byController.get(controllerKey);
    if (e) e.add -= count;
  }

  delete(controllerKey: string): void {
    this.byController.delete(controllerKey);
  }

  /** Outstanding creations and deletions (for tests and logs). */
  pending(controllerKey: string): { add: number; deletes: number } | undefined {
    const e = this.byController.get(controllerKey);
    return e && { add: e.add, deletes: e.deletes.size };
  }
}
