import type { ClientSession, Collection } from 'mongodb';
import type { IndexEntries } from '../../search/index-model';
import type { SearchQuery } from '../../search/model';
import type { SearchParameters } from '../../search/parameters';
import type { Page, StoredVersion } from '../types';
import { storedVersion } from '../stored-version';

/**
 * The MongoDB store's document shapes: the one place that says what each collection holds. The core (commit,
 * history, read) writes and reads them; search (search-*.ts) adds `ix` to the current version and queries it.
 * docs/store-mongo.md shows them with a worked example.
 */

export const RESOURCES = 'resources';
export const VERSIONS = 'versions';
export const COUNTERS = 'counters';
export const JOURNAL = 'journal';
export const SETTINGS = 'settings';

/** What a stored version carries, current (ResourceDoc) or any (VersionDoc). */
interface VersionFields {
  _id: string;
  type: string;
  id: string;
  /** The version number (FHIR versionId as an integer: 1, 2, …). */
  versionId: number;
  /** ISO instant, UTC, milliseconds: compares correctly as a string. */
  lastUpdated: string;
  deleted: boolean;
  /** The stored resource JSON (meta.versionId and meta.lastUpdated set); null for a tombstone. */
  json: string | null;
}

/**
 * `resources`: one document per logical resource, holding its current version (a tombstone when deleted).
 * `_id` is `<type>/<id>`; FHIR ids cannot contain '/', so the key is unambiguous.
 */
export interface ResourceDoc extends VersionFields {
  /**
   * Assigned once, at creation, from the `rid` counter; never changes or is reused. The default search order and
   * the last key of every keyset cursor.
   */
  rid: number;
  /** The search fields of the current version (search's `indexFields` output); absent on a tombstone. */
  ix?: SearchFields;
  /**
   * The patient whose record this resource belongs to (`Patient/<id>`), else the resource's own key: the recommended
   * shard key (patient-key.ts). Kept from the last version with a body on a tombstone. Always written by commits;
   * optional only so that tests can build documents by hand.
   */
  pc?: string;
  /**
   * Set while a commit on a deployment without transactions is being applied; the journal entry of that commit
   * can undo it (journal.ts). Absent otherwise.
   */
  txn?: string;
}

/** What search stores inside a current version: owned by search-*.ts, opaque to the core. */
export type SearchFields = Record<string, unknown>;

/**
 * `versions`: every version, deletes included, `_id` `<type>/<id>/<versionId>`: the unique key makes two writers of
 * one version impossible even without transactions.
 */
export interface VersionDoc extends VersionFields {
  /** Store-wide order of versions, from the `seq` counter: history is newest first by it and pages by it. */
  seq: number;
  /** As in ResourceDoc: the shard key that keeps a patient's history with the patient. */
  pc?: string;
  /**
   * lastUpdated of the version that replaced this one; absent while it is current. Lets `_history?_at=` select the
   * versions current at an instant with one range test.
   */
  until?: string;
  txn?: string;
}

/**
 * `counters`: one document, `_id: "ids"`, holding the last `rid` and `seq` handed out, advanced together with one
 * `$inc`. Gaps are allowed, reuse never.
 */
export interface CounterDoc {
  _id: string;
  rid: number;
  seq: number;
}

/** `settings`: the store's own small state, not FHIR data (the custom search parameters in force). */
export interface SettingDoc {
  _id: string;
  value: string;
}

/**
 * `journal`: on a deployment without multi-document transactions, what a commit is about to write, so that a
 * commit that did not finish can be undone (journal.ts). A commit writes its header (with its writes inside when they
 * are small, else one entry document per write, so that a large bundle stays under the 16 MiB document limit), then
 * its writes; deleting the header is the commit point. A header still present means the commit never finished and
 * is rolled back.
 */
export interface JournalHeader {
  _id: string;
  kind: 'commit';
  startedAt: Date;
  /** The commit's writes, when they fit in the header; otherwise they are JournalEntry documents. */
  writes?: JournalWrite[];
}

/** One resource a journaled commit writes. */
export interface JournalWrite {
  /** `_id` of the resources document written. */
  resource: string;
  /** That document before the commit, or null when the commit created it. */
  before: ResourceDoc | null;
  /** `_id`s of the version documents the commit inserted for it. */
  versions: string[];
  /** `_id` of the version document whose `until` the commit set (the one current before it), if any. */
  replaced?: string;
}

export interface JournalEntry extends JournalWrite {
  /** `<commit>/<n>` */
  _id: string;
  kind: 'write';
  txn: string;
}

export type JournalDoc = JournalHeader | JournalEntry;

export function resourceKey(type: string, id: string): string {
  return `${type}/${id}`;
}

export function versionKey(type: string, id: string, versionId: number): string {
  return `${type}/${id}/${versionId}`;
}

/** The fields a version is read with: never `ix`, which can be large and is of no use to a reader. */
export const VERSION_PROJECTION = { type: 1, id: 1, versionId: 1, lastUpdated: 1, deleted: 1, json: 1 } as const;

/** A resources or versions document as the port's StoredVersion (resource parsed on demand). */
export function toStoredVersion(doc: Pick<ResourceDoc, 'type' | 'id' | 'versionId' | 'lastUpdated' | 'deleted' | 'json'>): StoredVersion {
  return storedVersion({ type: doc.type, id: doc.id, versionId: String(doc.versionId), lastUpdated: doc.lastUpdated, deleted: doc.deleted }, doc.json);
}

/**
 * The contract between the core and search (search-*.ts), passed to MongoStore by open.ts. Every search reads
 * `resources` only, current non-deleted documents (`deleted: false`), and runs inside `session` when one is given
 * (a commit's conditions must see the commit's own transaction).
 */
export interface MongoSearch {
  /** The search fields stored as `ix` in a current version's document. */
  indexFields(entries: IndexEntries): SearchFields;
  /** Creates the indexes searches need; idempotent (runs at every start). */
  ensureSearchIndexes(resources: Collection<ResourceDoc>): Promise<void>;
  /** One page of matches, in the query's order, with `next` and `total` as the port's `search` promises. */
  search(resources: Collection<ResourceDoc>, query: SearchQuery, options: MongoSearchOptions): Promise<Page<StoredVersion>>;
}

export interface MongoSearchOptions {
  session?: ClientSession;
  /** Milliseconds since the epoch, for searches relative to now; the store's clock. */
  now: number;
  /** The parameter set searches may use (official plus the custom ones a reindex activated). */
  parameters: SearchParameters;
}
