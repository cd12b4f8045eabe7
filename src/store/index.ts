export * from "./errors.ts";
export * from "./types.ts";
export { SqliteStore, type StoreOptions } from "./store.ts";
export { PostgresStore, type PostgresStoreOptions } from "./pg-store.ts";
export { madeByStore, objectJson } from "./json.ts";
export { recentEventLines } from "./event-lines.ts";
