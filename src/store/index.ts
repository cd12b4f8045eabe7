export * from "./errors.ts";
export * from "./types.ts";
export { SqliteStore, type StoreOptions } from "./store.ts";
// PostgresStore is imported from ./pg-store.ts where a PostgreSQL datastore is opened: it brings
// postgres.js and drizzle's postgres-js driver, which a server on SQLite never needs loaded.
export type { PostgresStoreOptions } from "./pg-store.ts";
export { madeByStore, objectJson } from "./json.ts";
export { recentEventLines } from "./event-lines.ts";
