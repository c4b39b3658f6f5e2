import type { SearchParameters } from '../search/parameters';
import type { ReindexPlan } from './types';

/**
 * The two parameter sets a store holds while search entries are rebuilt, for every adapter alike: `indexing`, what
 * each write extracts with, switches when a reindex starts; `searchable`, what queries are parsed against, switches
 * only once every entry is rebuilt and the set is saved, so a search never uses a half-built parameter. Reindexes
 * run one after another, each planned from the set the previous one left.
 */
export class ParameterSets {
  indexing: SearchParameters;
  searchable: SearchParameters;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(initial: SearchParameters) {
    this.indexing = this.searchable = initial;
  }

  /** `rebuild` re-extracts the entries of `types` (all when undefined) and saves the set; resolves with its count. */
  reindex(
    plan: (current: SearchParameters) => ReindexPlan,
    rebuild: (next: ReindexPlan) => Promise<number>,
  ): Promise<{ resources: number }> {
    const run = this.queue.then(async () => {
      const next = plan(this.searchable);
      this.indexing = next.parameters;
      try {
        const resources = await rebuild(next);
        this.searchable = next.parameters;
        return { resources };
      } catch (error) {
        // Entries rebuilt so far also hold the new set's values: unsearchable under the old set, so harmless.
        this.indexing = this.searchable;
        throw error;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
