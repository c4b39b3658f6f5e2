import type { FhirResource } from 'fhir/r4';
import { stringifyStored } from '../../fhir/json';
import { withMeta } from '../commit-plan';
import type { StoredVersion } from '../types';
import { resourceKey, versionKey, type ResourceDoc, type SearchFields, type VersionDoc } from './documents';

/** Everything one commit writes to one resource: its document before and after, and the versions in between. */
export interface ResourceWrite {
  key: string;
  before: ResourceDoc | null;
  after: ResourceDoc;
  versions: VersionDoc[];
  /** The version document that was current before the commit and that the commit supersedes. */
  replaced?: string;
}

/**
 * Phase three of a commit, in memory: the documents each write produces, built before anything is sent so that a
 * commit can be journaled (or sent in one transaction) as a whole. Later writes of the same resource in one commit
 * see the earlier ones, as they would in the SQLite store.
 */
export class CommitWrites {
  private readonly byKey = new Map<string, ResourceWrite>();
  /** Every version in the order written: `seq` follows it, as in the SQLite store. */
  private readonly ordered: VersionDoc[] = [];

  constructor(
    private readonly lastUpdated: string,
    private readonly load: (key: string) => Promise<ResourceDoc | null>,
    private readonly searchFields: (resource: FhirResource) => { ix: SearchFields; pc: string },
  ) {}

  /** The resource's document as the commit has left it so far (null when it never existed). */
  async current(type: string, id: string): Promise<ResourceDoc | null> {
    const key = resourceKey(type, id);
    return this.byKey.get(key)?.after ?? (await this.load(key));
  }

  /** Writes a new version: `resource` as given (id and meta set here), or a tombstone when it is undefined. */
  async write(type: string, id: string, resource: FhirResource | undefined): Promise<StoredVersion> {
    const key = resourceKey(type, id);
    const pending = this.byKey.get(key);
    const previous = pending ? pending.after : await this.load(key);
    const versionId = (previous?.versionId ?? 0) + 1;
    const stored = resource && withMeta(resource, id, versionId, this.lastUpdated);
    const json = stored ? stringifyStored(stored) : null;
    const fields = stored && this.searchFields(stored);
    const pc = fields ? fields.pc : (previous?.pc ?? key);
    const after: ResourceDoc = {
      _id: key, type, id, versionId, lastUpdated: this.lastUpdated, deleted: !stored, json, rid: previous?.rid ?? 0, pc,
    };
    if (fields) after.ix = fields.ix;
    const version: VersionDoc = {
      _id: versionKey(type, id, versionId), type, id, versionId, lastUpdated: this.lastUpdated, deleted: !stored, json, seq: 0, pc,
    };
    this.ordered.push(version);
    if (pending) {
      pending.versions[pending.versions.length - 1].until = this.lastUpdated;
      pending.after = after;
      pending.versions.push(version);
    } else {
      const replaced = previous ? versionKey(type, id, previous.versionId) : undefined;
      this.byKey.set(key, { key, before: previous, after, versions: [version], replaced });
    }
    const written: StoredVersion = { type, id, versionId: String(versionId), lastUpdated: this.lastUpdated, deleted: !stored, resource: stored };
    if (json !== null) written.json = json;
    return written;
  }

  get resources(): ResourceWrite[] {
    return [...this.byKey.values()];
  }

  /** Resources this commit creates: each needs a `rid`. */
  get created(): ResourceWrite[] {
    return this.resources.filter((w) => w.before === null);
  }

  get versions(): VersionDoc[] {
    return this.ordered;
  }

  /**
   * Fills in the counter values reserved for this commit: `rid` for new resources, `seq` for versions in the order
   * they were written (the caller reserved them as consecutive blocks).
   */
  number(firstRid: number, firstSeq: number): void {
    let rid = firstRid;
    for (const w of this.created) w.after.rid = rid++;
    let seq = firstSeq;
    for (const v of this.ordered) v.seq = seq++;
  }
}
