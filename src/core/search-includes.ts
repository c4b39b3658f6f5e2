import type { FhirResource } from 'fhir/r4';
import type { IndexExtractor } from '../search/extract';
import type { Filter, Include } from '../search/model';
import type { Store, StoredVersion } from '../store/types';

/**
 * `_include` and `_revinclude`, with `:iterate`: https://hl7.org/fhir/R4/search.html#include
 * Runs over the store port only (so every adapter gets it, and access checks in a wrapped store hold), reading
 * references from the matched resources with the same extractor that indexes them. Included resources are
 * deduplicated against the matches and each other. The total is bounded; when the bound cuts the list, the caller
 * is told (a warning in the Bundle), never silently.
 */
export const MAX_INCLUDED = 5000;
const MAX_ITERATIONS = 4;
const REVINCLUDE_PAGE = 1000;

export interface IncludeResult {
  included: StoredVersion[];
  truncated: boolean;
}

interface Deps {
  store: Store;
  extractor: IndexExtractor;
}

export async function resolveIncludes(
  matches: StoredVersion[],
  includes: Include[],
  revincludes: Include[],
  deps: Deps,
): Promise<IncludeResult> {
  const seen = new Set(matches.map(key));
  const included: StoredVersion[] = [];
  const state = { seen, included, truncated: false };
  let frontier = matches;
  for (let round = 0; round <= MAX_ITERATIONS && frontier.length > 0 && !state.truncated; round++) {
    const inc = round === 0 ? includes : includes.filter((i) => i.iterate);
    const rev = round === 0 ? revincludes : revincludes.filter((i) => i.iterate);
    if (inc.length === 0 && rev.length === 0) break;
    const before = included.length;
    await forward(frontier, inc, deps, state);
    await reverse(frontier, rev, deps, state);
    frontier = included.slice(before);
  }
  return { included, truncated: state.truncated };
}

interface State {
  seen: Set<string>;
  included: StoredVersion[];
  truncated: boolean;
}

function key(v: { type: string; id: string }): string {
  return `${v.type}/${v.id}`;
}

/** Follows the named reference parameters of the frontier resources to their targets. */
async function forward(frontier: StoredVersion[], includes: Include[], deps: Deps, state: State): Promise<void> {
  if (includes.length === 0) return;
  const wanted = new Map<string, { type: string; id: string }>();
  for (const v of frontier) {
    if (!v.resource) continue;
    for (const ref of referencesOf(v.resource, includes, deps.extractor)) {
      const k = key(ref);
      if (!state.seen.has(k)) wanted.set(k, ref);
    }
  }
  if (wanted.size === 0) return;
  add(state, await deps.store.readMany([...wanted.values()]));
}

function referencesOf(resource: FhirResource, includes: Include[], extractor: IndexExtractor): Array<{ type: string; id: string }> {
  const applicable = includes.filter((i) => i.sourceType === resource.resourceType);
  if (applicable.length === 0) return [];
  const out: Array<{ type: string; id: string }> = [];
  for (const r of extractor.extract(resource).references) {
    if (!r.targetType || !r.targetId || r.component !== undefined) continue;
    const match = applicable.some((i) => (i.param === '*' || i.param === r.param) && (!i.targetType || i.targetType === r.targetType));
    if (match) out.push({ type: r.targetType, id: r.targetId });
  }
  return out;
}

/** Finds resources of each include's source type whose reference parameter points at a frontier resource. */
async function reverse(frontier: StoredVersion[], revincludes: Include[], deps: Deps, state: State): Promise<void> {
  for (const inc of revincludes) {
    const targets = frontier.filter((v) => !inc.targetType || v.type === inc.targetType);
    if (targets.length === 0) continue;
    const filter: Filter = {
      kind: 'param', param: inc.param, type: 'reference',
      values: targets.map((t) => ({ kind: 'reference' as const, value: { type: t.type, id: t.id } })),
    };
    let cursor: string | undefined;
    do {
      const page = await deps.store.search({ types: [inc.sourceType], filters: [filter], sort: [], count: REVINCLUDE_PAGE, cursor, total: 'none' });
      add(state, page.entries);
      cursor = page.next;
    } while (cursor && !state.truncated);
  }
}

function add(state: State, versions: StoredVersion[]): void {
  for (const v of versions) {
    const k = key(v);
    if (state.seen.has(k)) continue;
    if (state.included.length >= MAX_INCLUDED) {
      state.truncated = true;
      return;
    }
    state.seen.add(k);
    state.included.push(v);
  }
}
