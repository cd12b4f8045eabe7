// The PostgreSQL datastore's schema: the same revision log as schema.ts (kine's table, whose id
// is the revision and whose unique (name, prev_revision) index turns two writers appending after
// the same revision into a conflict), plus a meta table of single integer rows:
//   revision      the revision counter; its row lock orders every write of the cluster (pg-log.ts)
//   compact_rev   history at or below it is gone, on every server
//   schema_version  what MIGRATIONS have been applied; a server refuses a newer one
// Migrations are statements per version, applied in one transaction under an advisory lock so
// two servers starting together do not both run them. Drizzle's migrator wants a folder of
// generated files and a journal; a list of versioned statements says the same in one place.
import { sql, type SQL } from "drizzle-orm";
import { bigint, boolean, index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";

export const kv = pgTable(
  "kubun_kv",
  {
    id: bigint("id", { mode: "number" }).primaryKey(),
    name: text("name").notNull(),
    created: boolean("created").notNull(),
    deleted: boolean("deleted").notNull(),
    createRevision: bigint("create_revision", { mode: "number" }).notNull(),
    prevRevision: bigint("prev_revision", { mode: "number" }).notNull(),
    value: text("value").notNull(),
  },
  (t) => [uniqueIndex("kubun_kv_name_prev_revision").on(t.name, t.prevRevision), index("kubun_kv_name_id").on(t.name, t.id)],
);

export const meta = pgTable("kubun_meta", {
  key: text("key").primaryKey(),
  value: bigint("value", { mode: "number" }).notNull(),
});

/** Cluster-wide blobs (the bootstrap data), encrypted by their writer. */
export const blobs = pgTable("kubun_blobs", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** The statements that bring the schema from version i to i + 1, for each i. */
export const MIGRATIONS: readonly (readonly SQL[])[] = [
  [
    sql`CREATE TABLE IF NOT EXISTS kubun_kv (
      id BIGINT PRIMARY KEY,
      name TEXT COLLATE "C" NOT NULL,
      created BOOLEAN NOT NULL,
      deleted BOOLEAN NOT NULL,
      create_revision BIGINT NOT NULL,
      prev_revision BIGINT NOT NULL,
      value TEXT NOT NULL
    )`,
    sql`CREATE UNIQUE INDEX IF NOT EXISTS kubun_kv_name_prev_revision ON kubun_kv (name, prev_revision)`,
    sql`CREATE INDEX IF NOT EXISTS kubun_kv_name_id ON kubun_kv (name, id)`,
    sql`INSERT INTO kubun_meta (key, value) VALUES ('revision', 0), ('compact_rev', 0) ON CONFLICT DO NOTHING`,
    sql`CREATE TABLE IF NOT EXISTS kubun_blobs (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  ],
];

/** The schema version this server writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Taken while migrating: one server at a time. */
export const MIGRATION_LOCK = 0x6b75_6275; // "kubu"
/** Taken by the server running a compaction step: one per cluster at a time. */
export const COMPACTION_LOCK = 0x6b75_6263;

/** The channel a commit notifies, with its last revision: peers read the log after theirs. */
export const NOTIFY_CHANNEL = "kubun_kv";
