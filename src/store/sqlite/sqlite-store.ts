import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { FhirResource } from 'fhir/r4';
import { monotonicInstant } from '../../fhir/instants';
import { IndexExtractor } from '../../search/extract';
import { SearchParameters, type CustomParameter } from '../../search/parameters';
import type { SearchQuery } from '../../search/model';
import type {
  CommitOptions, HistoryOptions, OpResult, Page, ReindexOptions, ReindexPlan, Store, StoredVersion, WriteOp,
} from '../types';
import { openSchema } from './schema';
import { compileCount, compileCountUpTo, compileSearch, cursorAfter, type CompiledSql, type PlanHints } from './search-sql';
import { IndexWriter, reindexAll } from './index-writer';
import { SqliteHistory } from './history';
import { parseFhirJson, stringifyStored } from '../../fhir/json';
import { toVersion, type VersionRow } from './rows';
import { planAllSync, withMeta, withOpIndex, type CurrentState, type Plan } from '../commit-plan';
import { ParameterSets } from '../parameter-sets';
import { DateStats } from './date-stats';
import { rebuildEntries } from './reindex';
import { SqliteSettings } from './settings';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  filename: string;
  synchronous?: 'NORMAL' | 'FULL';
  /** Milliseconds since the epoch; injectable so tests can control time. */
  now?: () => number;
}

/**
 * A `_has` whose inner filter matches at least this many sources is tested per candidate subject rather than by
 * listing every subject the sources refer to (search-sql-chains.ts).
 */
const MANY_SOURCES = 1000;

/** Where the custom search parameters in force are kept (src/store/sqlite/settings.ts). */
const CUSTOM_PARAMETERS_KEY = 'search.custom-parameters';

/** Distinct search shapes kept prepared; past this the cache starts over (shapes are few in practice). */
const MAX_CACHED_SEARCHES = 500;

interface PendingCommit {
  ops: WriteOp[];
  options: CommitOptions;
  resolve: (results: OpResult[]) => void;
  reject: (error: unknown) => void;
}

/**
 * The embedded store on SQLite. better-sqlite3 is synchronous, so a commit runs start to end inside one SQLite
 * transaction without yielding to the event loop: no other request can interleave, which is what makes
 * conditional creates and If-Match updates race-free in one process.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly extractor: IndexExtractor;
  private readonly settings: SqliteSettings;
  private readonly parameters: ParameterSets;
  private readonly now: () => number;
  private readonly history_: SqliteHistory;
  private lastCommitMs: number;
  private readonly stmts;
  private readonly indexes: IndexWriter;
  private readonly hints: PlanHints;
  /** Search statements by SQL text, which depends only on a query's shape (its values are bound parameters). */
  private readonly searchStatements = new Map<string, Database.Statement>();
  private pending: PendingCommit[] = [];
  /** One commit, atomic; nested inside groupTx it runs as a savepoint. */
  private readonly commitTx: (ops: WriteOp[], options: CommitOptions) => OpResult[];
  private readonly groupTx: (batch: PendingCommit[]) => Array<{ ok: OpResult[] } | { error: unknown }>;

  constructor(options: SqliteStoreOptions) {
    this.db = new Database(options.filename);
    const schema = openSchema(this.db, options.synchronous ?? 'NORMAL');
    this.settings = new SqliteSettings(this.db);
    this.parameters = new ParameterSets(restoreParameters(this.settings.get(CUSTOM_PARAMETERS_KEY)));
    this.extractor = new IndexExtractor({ parameters: () => this.parameters.indexing });
    this.now = options.now ?? Date.now;
    this.stmts = prepareStatements(this.db);
    const dateStats = new DateStats(this.db);
    this.hints = {
      dateStats: (type, param) => dateStats.get(type, param),
      manySources: (f) => this.countUpTo({ types: [f.type], filters: [f.filter], sort: [], count: MANY_SOURCES, total: 'none' }) >= MANY_SOURCES,
    };
    this.indexes = new IndexWriter(this.db, dateStats);
    if (schema.reindex) reindexAll(this.db, this.indexes, (json) => this.extractor.extract(parseFhirJson(json) as FhirResource));
    const last = this.stmts.lastUpdated.get() as { lu: string | null };
    this.lastCommitMs = last.lu ? Date.parse(last.lu) : 0;
    this.history_ = new SqliteHistory(this.db);
    this.commitTx = this.db.transaction((ops: WriteOp[], options: CommitOptions) => this.commitSync(ops, options));
    this.groupTx = this.db.transaction((batch: PendingCommit[]) =>
      batch.map((item) => {
        try {
          return { ok: this.commitTx(item.ops, item.options) };
        } catch (error) {
          return { error };
        }
      }),
    );
  }

  /**
   * Group commit: commits that arrive in the same turn of the event loop share one SQLite transaction, each inside
   * its own savepoint, so one failing commit rolls back alone. Every caller is answered only after the shared
   * transaction is durable. Many concurrent writers then pay for one WAL append instead of one each.
   */
  commit(ops: WriteOp[], options: CommitOptions = {}): Promise<OpResult[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, options, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const before = this.lastCommitMs;
    let outcomes: Array<{ ok: OpResult[] } | { error: unknown }>;
    try {
      outcomes = this.groupTx(batch);
    } catch (error) {
      this.lastCommitMs = before;
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i];
      if ('ok' in o) item.resolve(o.ok);
      else item.reject(o.error);
    });
  }

  async read(type: string, id: string): Promise<StoredVersion | undefined> {
    const row = this.stmts.current.get(type, id) as VersionRow | undefined;
    return row && toVersion(row);
  }

  async vread(type: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    if (!/^[1-9]\d{0,15}$/.test(versionId)) return undefined;
    const row = this.stmts.version.get(type, id, Number(versionId)) as VersionRow | undefined;
    return row && toVersion(row);
  }

  async history(scope: { type?: string; id?: string }, options: HistoryOptions): Promise<Page<StoredVersion>> {
    return this.history_.page(scope, options);
  }

  async search(query: SearchQuery): Promise<Page<StoredVersion>> {
    return this.searchSync(query);
  }

  async readMany(refs: Array<{ type: string; id: string }>): Promise<StoredVersion[]> {
    const seen = new Set<string>();
    const found: StoredVersion[] = [];
    for (const { type, id } of refs) {
      const key = `${type}/${id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const row = this.currentRow(type, id);
      if (row && !row.deleted) found.push(toVersion(row));
    }
    return found;
  }

  searchParameters(): SearchParameters {
    return this.parameters.searchable;
  }

  reindex(plan: (current: SearchParameters) => ReindexPlan, options: ReindexOptions = {}): Promise<{ resources: number }> {
    return this.parameters.reindex(plan, async ({ parameters, types }) => {
      const extract = (json: string) => this.extractor.extract(parseFhirJson(json) as FhirResource);
      const resources = await rebuildEntries(this.db, this.indexes, extract, { types, batchSize: options.batchSize ?? 500 });
      this.settings.put(CUSTOM_PARAMETERS_KEY, JSON.stringify(parameters.customParameters()));
      return resources;
    });
  }

  async ready(): Promise<boolean> {
    return this.db.open;
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  /**
   * One page (one row more than asked, to know whether there is a next page), and the total when asked for.
   * `estimate` is answered exactly too. A first page with room to spare is its own total: no count query.
   */
  private searchSync(query: SearchQuery): Page<StoredVersion> {
    const rows = this.run(compileSearch(query, query.count + 1, this.now(), this.hints)) as VersionRow[];
    const page: Page<StoredVersion> = { entries: rows.slice(0, query.count).map(toVersion) };
    if (rows.length > query.count && query.count > 0) {
      page.next = cursorAfter(query, rows[query.count - 1] as unknown as Record<string, unknown>);
    }
    if (query.total !== 'none' || query.count === 0) {
      const complete = !query.cursor && query.count > 0 && rows.length <= query.count;
      page.total = complete ? rows.length : (this.run(compileCount(query, this.now(), this.hints))[0] as { n: number }).n;
    }
    return page;
  }

  /** How many resources match, counting no further than `query.count`: a cheap probe of a filter's selectivity. */
  private countUpTo(query: SearchQuery): number {
    return (this.run(compileCountUpTo(query, query.count, this.now(), { dateStats: this.hints.dateStats }))[0] as { n: number }).n;
  }

  /** Ids of current resources matching a condition, bounded so a broad condition cannot load the whole store. */
  private matchIds(query: SearchQuery, limit: number): VersionRow[] {
    return this.run(compileSearch({ ...query, sort: [], cursor: undefined }, limit, this.now(), this.hints)) as VersionRow[];
  }

  /**
   * SQLite's plan for a search (EXPLAIN QUERY PLAN, one line per step, indented by depth): for tests and for
   * diagnosing a slow query, never for serving.
   */
  explain(query: SearchQuery): string[] {
    const { sql, params } = compileSearch(query, query.count + 1, this.now(), this.hints);
    const steps = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as Array<{ id: number; parent: number; detail: string }>;
    const depth = new Map<number, number>([[0, -1]]);
    return steps.map((s) => {
      depth.set(s.id, (depth.get(s.parent) ?? -1) + 1);
      return `${'  '.repeat(depth.get(s.id)!)}${s.detail}`;
    });
  }

  private run(compiled: CompiledSql): unknown[] {
    let statement = this.searchStatements.get(compiled.sql);
    if (!statement) {
      statement = this.db.prepare(compiled.sql);
      if (this.searchStatements.size >= MAX_CACHED_SEARCHES) this.searchStatements.clear();
      this.searchStatements.set(compiled.sql, statement);
    }
    return statement.all(compiled.params);
  }

  private commitSync(ops: WriteOp[], options: CommitOptions): OpResult[] {
    const plans = planAllSync(ops, randomUUID, (read) => (read.kind === 'match'
      ? this.matchIds(read.query, read.limit).map(stateOf)
      : stateOf(this.currentRow(read.type, read.id))));
    options.finalize?.(plans.map((p) => p.placement));
    const lastUpdated = new Date(monotonicInstant(this.now(), this.lastCommitMs));
    const results = plans.map((p, index) => withOpIndex(index, () => this.apply(p, lastUpdated.toISOString())));
    this.lastCommitMs = lastUpdated.getTime();
    return results;
  }

  private currentRow(type: string, id: string): VersionRow | undefined {
    return this.stmts.current.get(type, id) as VersionRow | undefined;
  }

  private apply(plan: Plan, lastUpdated: string): OpResult {
    const { op, placement } = plan;
    if (op.kind === 'resolve') return { outcome: 'resolved', ids: [placement.id!] };
    if (op.kind === 'delete') {
      const versions = plan.targets.map((t) => this.write(t.type, t.id, undefined, lastUpdated));
      return { outcome: plan.outcome, version: versions[versions.length - 1] ?? versionOf(plan.current), ids: plan.targets.map((t) => t.id) };
    }
    if (!placement.writes) return { outcome: 'existing', version: versionOf(plan.current), ids: [placement.id!] };
    const base = op.kind === 'update' && op.transform ? op.transform(parseFhirJson(this.currentRow(placement.type, placement.id!)!.json!) as FhirResource) : op.resource!;
    const version = this.write(placement.type, placement.id!, base, lastUpdated);
    return { outcome: plan.outcome, version, ids: [placement.id!] };
  }

  /** Writes one new version (a tombstone when `resource` is undefined) and replaces its index entries. */
  private write(type: string, id: string, resource: FhirResource | undefined, lastUpdated: string): StoredVersion {
    const current = this.currentRow(type, id);
    const version = (current?.version ?? 0) + 1;
    const stored = resource && withMeta(resource, id, version, lastUpdated);
    const json = stored ? stringifyStored(stored) : null;
    let rid = current?.rid;
    if (rid === undefined) {
      rid = Number(this.stmts.insertResource.run(type, id, version, lastUpdated, stored ? 0 : 1).lastInsertRowid);
    }
    const seq = Number(this.stmts.insertVersion.run(rid, type, version, lastUpdated, stored ? 0 : 1, json).lastInsertRowid);
    this.stmts.updateResource.run(version, lastUpdated, stored ? 0 : 1, seq, rid);
    this.indexes.replace(rid, type, stored && this.extractor.extract(stored), current === undefined);
    const written: StoredVersion = { type, id, versionId: String(version), lastUpdated, deleted: !stored, resource: stored };
    if (json !== null) written.json = json;
    return written;
  }
}

function restoreParameters(saved: string | undefined): SearchParameters {
  const custom = saved ? (JSON.parse(saved) as CustomParameter[]) : [];
  return custom.length > 0 ? new SearchParameters(custom) : SearchParameters.official();
}

function prepareStatements(db: Database.Database) {
  return {
    current: db.prepare(
      'SELECT r.rid, r.type, r.id, r.version, r.last_updated, r.deleted, v.json FROM resources r JOIN versions v ON v.seq = r.seq WHERE r.type = ? AND r.id = ?',
    ),
    version: db.prepare(
      'SELECT r.rid, r.type, r.id, v.version, v.last_updated, v.deleted, v.json FROM resources r JOIN versions v ON v.rid = r.rid WHERE r.type = ? AND r.id = ? AND v.version = ?',
    ),
    lastUpdated: db.prepare('SELECT max(last_updated) AS lu FROM versions'),
    insertResource: db.prepare('INSERT INTO resources (type, id, version, last_updated, deleted, seq) VALUES (?, ?, ?, ?, ?, 0)'),
    insertVersion: db.prepare('INSERT INTO versions (rid, type, version, last_updated, deleted, json) VALUES (?, ?, ?, ?, ?, ?)'),
    updateResource: db.prepare('UPDATE resources SET version = ?, last_updated = ?, deleted = ?, seq = ? WHERE rid = ?'),
  };
}

/** A row as commit planning sees it (src/store/commit-plan.ts), keeping the row for the answer. */
interface RowState extends CurrentState {
  row: VersionRow;
}

function stateOf(row: VersionRow | undefined): RowState | undefined {
  return row && { type: row.type, id: row.id, version: row.version, deleted: row.deleted === 1, row };
}

function versionOf(state: CurrentState | undefined): StoredVersion | undefined {
  return state && toVersion((state as RowState).row);
}
