import { randomUUID } from 'node:crypto';
import type { FhirResource } from 'fhir/r4';
import { MongoError, type ClientSession, type Collection, type MongoClient } from 'mongodb';
import { FhirError } from '../../fhir/errors';
import { monotonicInstant } from '../../fhir/instants';
import { parseFhirJson } from '../../fhir/json';
import type { IndexExtractor } from '../../search/extract';
import type { SearchParameters } from '../../search/parameters';
import { planAll, withOpIndexAsync, type CurrentState, type Plan, type PlanRead } from '../commit-plan';
import type { CommitOptions, OpResult, Placement, WriteOp } from '../types';
import { CommitWrites } from './commit-writes';
import { sendWrites } from './commit-send';
import { reserve } from './counters';
import { resourceKey, toStoredVersion, type CounterDoc, type MongoSearch, type ResourceDoc, type SearchFields, type VersionDoc } from './documents';
import { Journal } from './journal';
import { patientKey } from './patient-key';

export interface CommitDeps {
  client: MongoClient;
  resources: Collection<ResourceDoc>;
  versions: Collection<VersionDoc>;
  counters: Collection<CounterDoc>;
  /** Present on deployments without transactions: commits are journaled instead. */
  journal?: Journal;
  search: MongoSearch;
  extractor: IndexExtractor;
  /** The parameter set conditions are searched with. */
  parameters: () => SearchParameters;
  now: () => number;
}

/** A transaction that hit a write conflict with another process is tried again this many times in all. */
const TRANSACTION_ATTEMPTS = 3;

/**
 * Commits on MongoDB (docs/store.md, "How a commit works"; docs/store-mongo.md for the deployments). Plans with the
 * backend-free planner, builds every document in memory, then sends them in one multi-document transaction, or
 * journaled where the deployment has none. Commits from this process run one at a time, which is what makes
 * conditional creates race-free here as they are in the SQLite store.
 */
export class MongoCommitter {
  private tail: Promise<unknown> = Promise.resolve();
  private lastCommitMs: number;
  /** True when a journaled commit may have been left half-applied and must be rolled back before the next one. */
  private recoveryDue: boolean;

  constructor(private readonly deps: CommitDeps, lastCommitMs: number) {
    this.lastCommitMs = lastCommitMs;
    this.recoveryDue = deps.journal !== undefined;
  }

  commit(ops: WriteOp[], options: CommitOptions): Promise<OpResult[]> {
    const run = () => (this.deps.journal ? this.commitJournaled(ops, options, this.deps.journal) : this.commitInTransaction(ops, options));
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when every commit queued so far has finished. */
  drain(): Promise<unknown> {
    return this.tail;
  }

  private async commitJournaled(ops: WriteOp[], options: CommitOptions, journal: Journal): Promise<OpResult[]> {
    return asStoreError(async () => {
      if (this.recoveryDue) {
        await journal.recover();
        this.recoveryDue = false;
      }
      const prepared = await this.prepare(ops, finalizeOnce(options));
      try {
        await journal.apply(prepared.writes, prepared.lastUpdated, () => this.number(prepared.writes));
      } catch (err) {
        // apply rolled back unless the server became unreachable midway; then the next commit finishes the job.
        this.recoveryDue = true;
        throw err;
      }
      this.recoveryDue = false;
      this.lastCommitMs = prepared.lastUpdatedMs;
      return prepared.results;
    });
  }

  private async commitInTransaction(ops: WriteOp[], options: CommitOptions): Promise<OpResult[]> {
    const finalize = finalizeOnce(options);
    const session = this.deps.client.startSession();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.transactionAttempt(session, ops, finalize);
        } catch (err) {
          if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
          const retry = err instanceof MongoError && err.hasErrorLabel('TransientTransactionError') && attempt < TRANSACTION_ATTEMPTS;
          if (!retry) throw err;
        }
      }
    } catch (err) {
      return asStoreError(() => Promise.reject(err));
    } finally {
      await session.endSession();
    }
  }

  private async transactionAttempt(session: ClientSession, ops: WriteOp[], finalize: CommitOptions): Promise<OpResult[]> {
    session.startTransaction({ readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
    const prepared = await this.prepare(ops, finalize, session);
    await this.number(prepared.writes);
    await sendWrites(this.deps, prepared.writes, prepared.lastUpdated, { session });
    await commitWithRetry(session);
    this.lastCommitMs = prepared.lastUpdatedMs;
    return prepared.results;
  }

  /** Phases one to three in memory: plan, finalize, build the documents. Reads go through `session` when given. */
  private async prepare(ops: WriteOp[], options: CommitOptions, session?: ClientSession) {
    const docs = new Map<string, ResourceDoc | null>();
    const load = async (key: string): Promise<ResourceDoc | null> => {
      if (!docs.has(key)) docs.set(key, await this.deps.resources.findOne({ _id: key }, { session }));
      return docs.get(key)!;
    };
    const plans = await planAll(ops, randomUUID, (request) => this.planRead(request, load, session));
    options.finalize?.(plans.map((p) => p.placement));
    const lastUpdatedMs = monotonicInstant(this.deps.now(), this.lastCommitMs);
    const lastUpdated = new Date(lastUpdatedMs).toISOString();
    const writes = new CommitWrites(lastUpdated, load, (resource) => this.fields(resource));
    const results: OpResult[] = [];
    for (const [index, plan] of plans.entries()) results.push(await withOpIndexAsync(index, () => apply(plan, writes)));
    return { results, writes, lastUpdated, lastUpdatedMs };
  }

  private fields(resource: FhirResource): { ix: SearchFields; pc: string } {
    const entries = this.deps.extractor.extract(resource);
    return { ix: this.deps.search.indexFields(entries), pc: patientKey(resource, entries) };
  }

  private async planRead(
    request: PlanRead,
    load: (key: string) => Promise<ResourceDoc | null>,
    session: ClientSession | undefined,
  ): Promise<CurrentState[] | CurrentState | undefined> {
    if (request.kind === 'current') {
      const doc = await load(resourceKey(request.type, request.id));
      return doc ? { type: doc.type, id: doc.id, version: doc.versionId, deleted: doc.deleted } : undefined;
    }
    const query = { ...request.query, sort: [], cursor: undefined, count: request.limit, total: 'none' as const, includes: undefined, revincludes: undefined };
    const page = await this.deps.search.search(this.deps.resources, query, { session, now: this.deps.now(), parameters: this.deps.parameters() });
    return page.entries.map((v) => ({ type: v.type, id: v.id, version: Number(v.versionId), deleted: false }));
  }

  /** Reserves the commit's new `rid`s and `seq`s outside any transaction (see counters.ts). */
  private async number(writes: CommitWrites): Promise<void> {
    if (writes.versions.length === 0) return;
    const first = await reserve(this.deps.counters, writes.created.length, writes.versions.length);
    writes.number(first.rid, first.seq);
  }
}

async function apply(plan: Plan, writes: CommitWrites): Promise<OpResult> {
  const { op, placement } = plan;
  if (op.kind === 'resolve') return { outcome: 'resolved', ids: [placement.id!] };
  if (op.kind === 'delete') {
    const versions = [];
    for (const t of plan.targets) versions.push(await writes.write(t.type, t.id, undefined));
    const existing = plan.current && (await writes.current(plan.current.type, plan.current.id));
    return { outcome: plan.outcome, version: versions[versions.length - 1] ?? (existing ? toStoredVersion(existing) : undefined), ids: plan.targets.map((t) => t.id) };
  }
  if (!placement.writes) {
    const existing = await writes.current(placement.type, placement.id!);
    return { outcome: 'existing', version: existing ? toStoredVersion(existing) : undefined, ids: [placement.id!] };
  }
  const base = op.kind === 'update' && op.transform ? op.transform(await currentResource(writes, placement)) : op.resource!;
  const version = await writes.write(placement.type, placement.id!, base);
  return { outcome: plan.outcome, version, ids: [placement.id!] };
}

async function currentResource(writes: CommitWrites, placement: Placement): Promise<FhirResource> {
  const doc = await writes.current(placement.type, placement.id!);
  return parseFhirJson(doc!.json!) as FhirResource;
}

/**
 * `finalize` rewrites the bundle's resources in place, so it may run only once. A retried transaction that lands
 * every op where the first attempt did can reuse that; one that lands them elsewhere fails with a conflict.
 */
function finalizeOnce(options: CommitOptions): CommitOptions {
  let first: string | undefined;
  return {
    finalize: (placements) => {
      const now = JSON.stringify(placements);
      if (first === undefined) {
        first = now;
        options.finalize?.(placements);
      } else if (first !== now) {
        throw new FhirError('conflict', 'Concurrent writes changed what this transaction refers to; nothing was written, retry');
      }
    },
  };
}

/** https://www.mongodb.com/docs/manual/core/transactions-in-applications/#retry-commit-operation */
async function commitWithRetry(session: ClientSession): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await session.commitTransaction();
      return;
    } catch (err) {
      if (!(err instanceof MongoError && err.hasErrorLabel('UnknownTransactionCommitResult')) || attempt >= TRANSACTION_ATTEMPTS) throw err;
    }
  }
}

/** Store errors are FhirErrors: a driver error becomes a 500 whose text names no resource (key values included). */
async function asStoreError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof FhirError) throw err;
    const code = err instanceof MongoError ? ` (${err.name} ${String(err.code ?? '')})` : '';
    throw new FhirError('exception', `The database could not complete the commit${code}`);
  }
}
