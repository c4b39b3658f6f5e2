import type { FhirResource } from 'fhir/r4';
import type { SearchQuery } from '../search/model';
import type { SearchParameters } from '../search/parameters';

/**
 * The store port: the only way the core reaches data. Adapters (sqlite/, mongo/) implement it and must pass the
 * same contract suite in test/store/. Errors are FhirErrors; adapters never throw driver errors at callers.
 */

/** One stored version of a resource. A delete is a version too: `deleted` true and no `resource`. */
export interface StoredVersion {
  type: string;
  id: string;
  versionId: string;
  /** ISO instant with milliseconds, UTC; never decreasing across the store's commits. */
  lastUpdated: string;
  deleted: boolean;
  /** The resource with meta.versionId and meta.lastUpdated set by the store; absent for deletes. */
  resource?: FhirResource;
  /**
   * The resource's JSON as stored, when the adapter has it: lets a read send it without parsing and re-serializing.
   * Adapters may parse `resource` lazily from it.
   */
  json?: string;
}

/** A precondition that names its target by search instead of by id; resolved inside the commit. */
export interface Condition {
  query: SearchQuery;
}

export type WriteOp =
  /**
   * Create with a server-assigned id (or `id` when the caller chose one, as for create-on-update in a bundle).
   * With `ifNoneExist`: if exactly one current resource matches, nothing is written and the match is the result
   * (`outcome: 'existing'`); if more than one matches, the commit fails with 412.
   */
  | { kind: 'create'; resource: FhirResource; ifNoneExist?: Condition }
  /**
   * Update by id, or by condition (0 matches: create, with the body id if any; 1: update it; >1: 412).
   * `ifMatch`: the current versionId must equal it (412 otherwise; 412 also when the resource does not exist).
   * `transform`: when set, the new content is computed from the current resource inside the commit (patch);
   * the resource must then exist (404/410 otherwise).
   * Update of a deleted or missing id creates it (create-on-update), with `outcome: 'created'`.
   */
  | {
      kind: 'update';
      type: string;
      id?: string;
      condition?: Condition;
      resource?: FhirResource;
      ifMatch?: string;
      transform?: (current: FhirResource) => FhirResource;
    }
  /**
   * Delete by id or by condition. By id: missing or already deleted is not an error (`outcome: 'noop'`).
   * By condition: every match is deleted, up to `maxMatches` (more than that fails the commit with 412).
   */
  | { kind: 'delete'; type: string; id?: string; condition?: Condition; ifMatch?: string; maxMatches?: number }
  /** Resolve a conditional reference: exactly one match required (0 → 404-class 'not-found', >1 → 412). */
  | { kind: 'resolve'; type: string; condition: Condition };

export interface OpResult {
  outcome: 'created' | 'updated' | 'deleted' | 'noop' | 'existing' | 'resolved';
  /** The version written or found; for conditional deletes of many, the last of them. */
  version?: StoredVersion;
  /** Every resource a delete removed, or the id a resolve found. */
  ids: string[];
}

/**
 * Where each op landed before anything is written: the id a create will take, the id an update or resolve targets.
 * Passed to `finalize` so that a transaction can rewrite its internal references (urn:uuid, conditional
 * references) to the final ids inside the same atomic commit.
 */
export interface Placement {
  type: string;
  id?: string;
  /** False when the op will not write (ifNoneExist matched, delete of nothing). */
  writes: boolean;
}

export interface CommitOptions {
  /**
   * Called once, synchronously and without I/O, after every condition has been resolved and every id assigned and
   * before any write; it may change the `resource` of create/update ops in place.
   */
  finalize?: (placements: Placement[]) => void;
}

export interface HistoryOptions {
  since?: string;
  /** Only versions current at this instant (`_at`). */
  at?: string;
  count: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface Page<T> {
  entries: T[];
  /** Cursor for the next page, absent on the last one. */
  next?: string;
  total?: number;
}

export interface ReindexPlan {
  parameters: SearchParameters;
  types?: readonly string[];
}

export interface ReindexOptions {
  /** Resources per batch (one short transaction each). */
  batchSize?: number;
}

export interface Store {
  /**
   * Apply all ops atomically, in order: either every op applies or none does (the failing op's FhirError is thrown
   * with `opIndex` set). Conditions see the state as of the start of the commit, not earlier ops' writes.
   */
  commit(ops: WriteOp[], options?: CommitOptions): Promise<OpResult[]>;

  /** Current version (a tombstone when deleted), or undefined when the id was never written. */
  read(type: string, id: string): Promise<StoredVersion | undefined>;

  /** A specific version, or undefined. */
  vread(type: string, id: string, versionId: string): Promise<StoredVersion | undefined>;

  /** Versions newest first: of one resource (type+id), one type (type) or the whole store (neither). */
  history(scope: { type?: string; id?: string }, options: HistoryOptions): Promise<Page<StoredVersion>>;

  /** Current, non-deleted resources matching the query, in the query's sort order (default: insertion order). */
  search(query: SearchQuery): Promise<Page<StoredVersion>>;

  /**
   * The current versions of many resources at once (for `_include`): deleted and never-written ones are left out,
   * duplicates are answered once, and the order is unspecified.
   */
  readMany(refs: Array<{ type: string; id: string }>): Promise<StoredVersion[]>;

  /**
   * The search parameters the store's index answers: the official R4 set plus the custom ones a reindex activated
   * (kept across restarts). Queries are parsed against it.
   */
  searchParameters(): SearchParameters;

  /**
   * Re-indexing, one at a time: `plan` gets the parameters in force and names the new set and the types to rebuild
   * (every type when omitted). The new set is what every write indexes with from then on; the entries of the
   * current resources of those types are rebuilt in short batches while other requests go on; then it becomes the
   * set searches use, kept for the next start. Resolves with the number of resources re-indexed.
   */
  reindex(plan: (current: SearchParameters) => ReindexPlan, options?: ReindexOptions): Promise<{ resources: number }>;

  /** True when the store can serve requests. */
  ready(): Promise<boolean>;

  close(): Promise<void>;
}
