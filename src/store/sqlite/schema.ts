import type Database from 'better-sqlite3';

/**
 * The embedded store's tables (docs/store.md and docs/search.md explain the design):
 * - resources: one row per logical resource, pointing at its current version; `rid` is the compact key every
 *   index table uses, so index rows never repeat the type and id strings.
 * - versions: every version ever written, JSON text included; `seq` is a store-wide, ever-increasing commit order
 *   used for history paging (a rowid: versions are never deleted, so max+1 never reuses one, and AUTOINCREMENT's
 *   extra b-tree write per insert is not needed).
 * - idx_*: search values extracted at write time (src/search/extract.ts), one table per entry kind of
 *   src/search/index-model.ts, replaced on every write of the resource in the same transaction.
 */

/** Bumped whenever an index table changes shape; an older file has its index tables rebuilt (see openSchema). */
export const SCHEMA_VERSION = 2;

const CORE_TABLES = `
CREATE TABLE IF NOT EXISTS resources (
  rid INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX IF NOT EXISTS resources_by_type_updated ON resources (type, last_updated, rid);
CREATE INDEX IF NOT EXISTS resources_by_type ON resources (type);
CREATE TABLE IF NOT EXISTS versions (
  seq INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL,
  type TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  json TEXT,
  UNIQUE (rid, version)
);
CREATE INDEX IF NOT EXISTS versions_by_type ON versions (type, seq);
CREATE INDEX IF NOT EXISTS versions_by_updated ON versions (last_updated);
`;

/*
 * Index tables. Every one has `rid, type, param`, its values, and `component`/`tuple` (NULL except for the
 * components of a composite parameter, whose `param` is the composite's code). Each is a WITHOUT ROWID table keyed
 * by (rid, n), `n` numbering a resource's rows in the table: a resource's rows sit together in key order, which
 * serves replacing them on write, `:missing`, sort values and joining the components of one composite tuple,
 * and new resources append at the end of the b-tree. Beside it, one lookup index led by (type, param) and the
 * compared value, ending in rid, so that a filter is one covering range scan that yields rids (the date table has
 * two, one per end of the range). Each index is one more b-tree insert per entry, the main cost of a write, so
 * there are no others. Resource `_id` and `_lastUpdated` are not stored here: they are columns of `resources`.
 */
const INDEX_TABLES = `
CREATE TABLE IF NOT EXISTS idx_string (
  rid INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  value TEXT NOT NULL, exact TEXT NOT NULL,
  component INTEGER, tuple INTEGER,
  PRIMARY KEY (rid, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_string_lookup ON idx_string (type, param, value, rid);

CREATE TABLE IF NOT EXISTS idx_token (
  rid INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  system TEXT NOT NULL, code TEXT NOT NULL, text TEXT, type_system TEXT, type_code TEXT,
  component INTEGER, tuple INTEGER,
  PRIMARY KEY (rid, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_token_lookup ON idx_token (type, param, code, system, rid);

CREATE TABLE IF NOT EXISTS idx_date (
  rid INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  low TEXT NOT NULL, high TEXT NOT NULL,
  component INTEGER, tuple INTEGER,
  PRIMARY KEY (rid, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_date_low ON idx_date (type, param, low, high, rid);
CREATE INDEX IF NOT EXISTS idx_date_high ON idx_date (type, param, high, low, rid);

CREATE TABLE IF NOT EXISTS idx_number (
  rid INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL,
  component INTEGER, tuple INTEGER,
  PRIMARY KEY (rid, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_number_lookup ON idx_number (type, param, value, rid);

CREATE TABLE IF NOT EXISTS idx_quantity (
  rid INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  value REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL,
  component INTEGER, tuple INTEGER,
  PRIMARY KEY (rid, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_quantity_lookup ON idx_quantity (type, param, code, value, rid);

CREATE TABLE IF NOT EXISTS idx_uri (
  rid INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  uri TEXT NOT NULL,
  component INTEGER, tuple INTEGER,
  PRIMARY KEY (rid, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_uri_lookup ON idx_uri (type, param, uri, rid);

CREATE TABLE IF NOT EXISTS idx_reference (
  rid INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
  target_type TEXT, target_id TEXT, version TEXT, url TEXT, identifier_system TEXT, identifier_value TEXT,
  component INTEGER, tuple INTEGER,
  PRIMARY KEY (rid, n)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_reference_target ON idx_reference (target_id, target_type, type, param, rid)
  WHERE target_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_reference_url ON idx_reference (type, param, url, rid) WHERE url IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_reference_identifier ON idx_reference (type, param, identifier_value, rid)
  WHERE identifier_value IS NOT NULL;
`;

/** Every index table, for code that writes or clears them all. */
export const INDEX_TABLE_NAMES = [
  'idx_string', 'idx_token', 'idx_date', 'idx_number', 'idx_quantity', 'idx_uri', 'idx_reference',
] as const;

/** Pages in the WAL before SQLite copies them back into the database file (about 40 MB at 4 KiB pages). */
const WAL_CHECKPOINT_PAGES = 10_000;
/** The page cache, per connection. */
const CACHE_KIB = 64 * 1024;

export interface SchemaState {
  /** True when the index tables were (re)created for existing resources, which must now be indexed again. */
  reindex: boolean;
}

export function openSchema(db: Database.Database, synchronous: 'NORMAL' | 'FULL'): SchemaState {
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a killed process (the WAL is in the OS cache); FULL also survives power loss.
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  // Every indexed search value is a b-tree insert at a random place, so a commit dirties many pages. A larger
  // checkpoint interval (4 MB by default) copies a page rewritten by many commits into the database file once,
  // and fsyncs less often; a larger page cache keeps the index pages those inserts touch in memory.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.pragma(`cache_size = -${CACHE_KIB}`);
  db.pragma('foreign_keys = OFF');
  return db.transaction(() => migrate(db))();
}

/**
 * A new file gets every table. A file written before SCHEMA_VERSION keeps its resources and versions, but its
 * index tables are dropped and created anew, and the caller re-extracts every current resource into them.
 */
function migrate(db: Database.Database): SchemaState {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`The database was written by a newer server (schema ${version}; this one knows ${SCHEMA_VERSION})`);
  }
  const existing = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'resources'").get() !== undefined;
  const reindex = existing && version < SCHEMA_VERSION;
  if (reindex) for (const table of INDEX_TABLE_NAMES) db.exec(`DROP TABLE IF EXISTS ${table}`);
  db.exec(CORE_TABLES);
  db.exec(INDEX_TABLES);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return { reindex };
}
