import type Database from 'better-sqlite3';

/**
 * The store's own small state (not FHIR data): the custom search parameters in force, kept so that a restart
 * searches what the last `$reindex` activated. A table of its own, created when missing, so that a database written
 * before it existed needs no migration.
 */
export class SqliteSettings {
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;

  constructor(db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
    this.getStmt = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.putStmt = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  }

  get(key: string): string | undefined {
    return (this.getStmt.get(key) as { value: string } | undefined)?.value;
  }

  put(key: string, value: string): void {
    this.putStmt.run(key, value);
  }
}
