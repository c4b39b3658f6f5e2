import type Database from 'better-sqlite3';

/**
 * The embedded store's tables (docs/store.md explains the design):
 * - resources: one row per logical resource, pointing at its current version; `rid` is the compact key every
 *   index table uses, so index rows never repeat the type and id strings.
 * - versions: every version ever written, JSON text included; `seq` is a store-wide, ever-increasing commit order
 *   used for history paging (a rowid: versions are never deleted, so max+1 never reuses one, and AUTOINCREMENT's
 *   extra b-tree write per insert is not needed).
 * - idx_*: search values extracted at write time (src/search/extract.ts), replaced on every write.
 */
const DDL = `
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
CREATE TABLE IF NOT EXISTS idx_token (
  rid INTEGER NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  system TEXT NOT NULL,
  code TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_token_lookup ON idx_token (type, param, code, system, rid);
CREATE INDEX IF NOT EXISTS idx_token_by_rid ON idx_token (rid);
`;

export function openSchema(db: Database.Database, synchronous: 'NORMAL' | 'FULL'): void {
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a killed process (the WAL is in the OS cache); FULL also survives power loss.
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF');
  db.exec(DDL);
}
