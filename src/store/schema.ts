// The store's schema, after kine: one append-only log whose autoincrement id is the revision.
// Every create, update and delete appends a row; an object's resourceVersion is the id of
// its latest row. The unique (name, prev_revision) index is the compare-and-swap: two writers
// that read the same revision cannot both append after it.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const kv = sqliteTable(
  "kv",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    created: integer("created").notNull(),
    deleted: integer("deleted").notNull(),
    createRevision: integer("create_revision").notNull(),
    prevRevision: integer("prev_revision").notNull(),
    value: text("value").notNull(),
  },
  (t) => [uniqueIndex("kv_name_prev_revision").on(t.name, t.prevRevision), index("kv_name_id").on(t.name, t.id)],
);

/** Single-row settings such as the compacted revision. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: integer("value").notNull(),
});

export type KvRow = typeof kv.$inferSelect;

// Drizzle's migrator wants a folder of generated files; two tables don't need one.
export const createStatements = [
  sql`CREATE TABLE IF NOT EXISTS kv (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    value TEXT NOT NULL
  )`,
  sql`CREATE UNIQUE INDEX IF NOT EXISTS kv_name_prev_revision ON kv (name, prev_revision)`,
  sql`CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id)`,
  sql`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
];
