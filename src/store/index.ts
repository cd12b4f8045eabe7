export * from "./errors.ts";
export * from "./types.ts";
export { SqliteStore, type StoreOptions } from "./store.ts";
export { objectJson } from "./json.ts";
