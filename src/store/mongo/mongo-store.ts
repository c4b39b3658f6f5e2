import type { Collection } from 'mongodb';
import type { FhirResource } from 'fhir/r4';
import { FhirError } from '../../fhir/errors';
import type { Logger } from '../../log';
import { IndexExtractor } from '../../search/extract';
import type { SearchParameters } from '../../search/parameters';
import type { SearchQuery } from '../../search/model';
import type { CommitOptions, HistoryOptions, OpResult, Page, ReindexOptions, ReindexPlan, Store, StoredVersion, WriteOp } from '../types';
import { MongoCommitter } from './commit';
import { connectMongo, type MongoConnection } from './connection';
import { ensureCoreIndexes } from './core-indexes';
import {
  COUNTERS, JOURNAL, RESOURCES, SETTINGS, VERSIONS, VERSION_PROJECTION, resourceKey, toStoredVersion, versionKey,
  type CounterDoc, type JournalDoc, type MongoSearch, type ResourceDoc, type SettingDoc, type VersionDoc,
} from './documents';
import { historyPage } from './history';
import { Journal } from './journal';
import { ParameterSets } from '../parameter-sets';
import { loadParameters, rebuildSearchFields, saveParameters } from './reindex';

export interface MongoStoreOptions {
  /** `mongodb://host:port/dbname` */
  url: string;
  search: MongoSearch;
  log: Logger;
  /** Milliseconds since the epoch; injectable so tests can control time. */
  now?: () => number;
  /** Journal commits even where the deployment has transactions (tests of the journaled path). */
  forceJournal?: boolean;
  serverSelectionTimeoutMS?: number;
}

/**
 * The store on MongoDB (docs/store-mongo.md): `resources` holds each resource's current version with its search
 * fields, `versions` every version. Commits are multi-document transactions on a replica set or sharded cluster
 * and journaled on a standalone server (journal.ts).
 */
export class MongoStore implements Store {
  private readonly c: Collections;
  private readonly extractor: IndexExtractor;
  private readonly parameters: ParameterSets;
  private readonly committer: MongoCommitter;
  private closed = false;

  private constructor(
    private readonly conn: MongoConnection,
    private readonly search_: MongoSearch,
    private readonly now: () => number,
    parameters: SearchParameters,
    journal: Journal | undefined,
    lastCommitMs: number,
  ) {
    this.c = collections(conn);
    this.parameters = new ParameterSets(parameters);
    this.extractor = new IndexExtractor({ parameters: () => this.parameters.indexing });
    this.committer = new MongoCommitter({
      client: conn.client, ...this.c, journal, search: search_, extractor: this.extractor, parameters: () => this.parameters.searchable, now,
    }, lastCommitMs);
  }

  /** Connects, creates missing indexes and, without transactions, rolls back what a crash left half-applied. */
  static async open(options: MongoStoreOptions): Promise<MongoStore> {
    const conn = await connectMongo(options.url, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS });
    try {
      const c = collections(conn);
      await ensureCoreIndexes(c);
      await options.search.ensureSearchIndexes(c.resources);
      const journaled = !conn.transactions || options.forceJournal === true;
      const journal = journaled ? new Journal(c) : undefined;
      if (journal) {
        const rolledBack = await journal.recover();
        if (!conn.transactions) warnNoTransactions(options.log, rolledBack);
      }
      const parameters = await loadParameters(c.settings);
      return new MongoStore(conn, options.search, options.now ?? Date.now, parameters, journal, await lastCommitMs(c.versions));
    } catch (err) {
      await conn.client.close().catch(() => undefined);
      throw err;
    }
  }

  /** True when commits run as multi-document transactions (replica set or sharded cluster). */
  get transactional(): boolean {
    return this.conn.transactions;
  }

  commit(ops: WriteOp[], options: CommitOptions = {}): Promise<OpResult[]> {
    if (this.closed) return Promise.reject(new FhirError('exception', 'The store is closed'));
    return this.committer.commit(ops, options);
  }

  async read(type: string, id: string): Promise<StoredVersion | undefined> {
    const doc = await readGuard(() => this.c.resources.findOne({ _id: resourceKey(type, id) }, { projection: VERSION_PROJECTION }));
    return doc ? toStoredVersion(doc) : undefined;
  }

  async vread(type: string, id: string, versionId: string): Promise<StoredVersion | undefined> {
    if (!/^[1-9]\d{0,15}$/.test(versionId)) return undefined;
    const key = versionKey(type, id, Number(versionId));
    const doc = await readGuard(() => this.c.versions.findOne({ _id: key }, { projection: VERSION_PROJECTION }));
    return doc ? toStoredVersion(doc) : undefined;
  }

  history(scope: { type?: string; id?: string }, options: HistoryOptions): Promise<Page<StoredVersion>> {
    return readGuard(() => historyPage(this.c.versions, scope, options));
  }

  search(query: SearchQuery): Promise<Page<StoredVersion>> {
    return readGuard(() => this.search_.search(this.c.resources, query, { now: this.now(), parameters: this.parameters.searchable }));
  }

  async readMany(refs: Array<{ type: string; id: string }>): Promise<StoredVersion[]> {
    const keys = [...new Set(refs.map((r) => resourceKey(r.type, r.id)))];
    if (keys.length === 0) return [];
    const docs = await readGuard(() => this.c.resources.find({ _id: { $in: keys }, deleted: false }, { projection: VERSION_PROJECTION }).toArray());
    return docs.map(toStoredVersion);
  }

  searchParameters(): SearchParameters {
    return this.parameters.searchable;
  }

  reindex(plan: (current: SearchParameters) => ReindexPlan, options: ReindexOptions = {}): Promise<{ resources: number }> {
    return this.parameters.reindex(plan, async ({ parameters, types }) => {
      const fields = (resource: FhirResource) => this.search_.indexFields(this.extractor.extract(resource));
      const resources = await readGuard(() => rebuildSearchFields(this.c.resources, fields, { types, batchSize: options.batchSize ?? 500 }));
      await readGuard(() => saveParameters(this.c.settings, parameters));
      return resources;
    });
  }

  async ready(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.conn.db.command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  /** Lets queued commits finish, then disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
    await this.conn.client.close();
  }

  /** Drops the whole database once queued commits are done: for tests that give each server a database of its own. */
  async dropDatabase(): Promise<void> {
    await this.committer.drain();
    await this.conn.db.dropDatabase();
  }
}

interface Collections {
  resources: Collection<ResourceDoc>;
  versions: Collection<VersionDoc>;
  counters: Collection<CounterDoc>;
  journal: Collection<JournalDoc>;
  settings: Collection<SettingDoc>;
}

function collections(conn: MongoConnection): Collections {
  return {
    resources: conn.db.collection<ResourceDoc>(RESOURCES),
    versions: conn.db.collection<VersionDoc>(VERSIONS),
    counters: conn.db.collection<CounterDoc>(COUNTERS),
    journal: conn.db.collection<JournalDoc>(JOURNAL),
    settings: conn.db.collection<SettingDoc>(SETTINGS),
  };
}

/** The latest lastUpdated written, so this process never stamps a commit earlier than one already stored. */
async function lastCommitMs(versions: Collection<VersionDoc>): Promise<number> {
  const last = await versions.find({}, { projection: { lastUpdated: 1 } }).sort({ seq: -1 }).limit(1).toArray();
  return last.length ? Date.parse(last[0].lastUpdated) : 0;
}

function warnNoTransactions(log: Logger, rolledBack: number): void {
  log.warn('MongoDB deployment has no multi-document transactions (standalone server): commits are journaled and '
    + 'rolled back on failure, but other requests can see a commit while it is being applied, and only one server '
    + 'process may write to this database. Run a replica set in production (docs/store-mongo.md).', { rolledBackCommits: rolledBack });
}

/** Reads report driver failures as a FhirError (500) that names no resource. */
async function readGuard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FhirError) throw err;
    throw new FhirError('exception', `The database could not answer (${(err as Error).name})`);
  }
}
