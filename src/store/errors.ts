// The store's sentinel errors (kine's ErrKeyExists, ErrCompacted ...). The API layer maps
// them to Kubernetes Status errors in one place (src/api/store-errors.ts).

export class StoreError extends Error {}

export class KeyExistsError extends StoreError {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}

export class KeyNotFoundError extends StoreError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}

/** The caller named a revision that is no longer the key's latest. */
export class RevisionConflictError extends StoreError {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`revision conflict on ${key}: expected ${expected}, is ${actual}`);
  }
}

/** The requested revision has been compacted away; clients must re-list. */
export class CompactedError extends StoreError {
  constructor(
    readonly requested: number,
    readonly compacted: number,
  ) {
    super(`revision ${requested} has been compacted (oldest available ${compacted + 1})`);
  }
}

export class StoreClosedError extends StoreError {
  constructor() {
    super("store is closed");
  }
}

/** The log could not be written (disk full, read-only or failing storage); nothing of the write was applied. */
export class StorageWriteError extends StoreError {
  constructor(readonly cause: unknown) {
    super(`storage write failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * The datastore cannot be reached now (a PostgreSQL restart, a lost connection): nothing of the
 * write was applied, and the same request may succeed in a moment. The API answers 503 with Retry-After.
 */
export class StorageUnavailableError extends StoreError {
  constructor(
    readonly what: string,
    readonly cause: unknown,
  ) {
    super(`${what}: the datastore is unavailable (${cause instanceof Error ? cause.message : String(cause)})`);
  }
}
