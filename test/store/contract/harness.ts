import { randomBytes } from 'node:crypto';
import type { FhirResource } from 'fhir/r4';
import { patientCompartment, resourceTypes } from '../../../src/fhir/definitions';
import type { Filter, SearchQuery } from '../../../src/search/model';
import { parseSearch } from '../../../src/search/parse';
import type { SearchParameters } from '../../../src/search/parameters';
import type { Condition, OpResult, Page, Store, StoredVersion } from '../../../src/store/types';
import { storeAdapters, type OpenedStore } from '../../support/stores';

/**
 * The store contract (src/store/types.ts) as one set of cases that every adapter must pass, driven only through the
 * Store port. Each `describeContract` block gets a fresh, empty store per adapter, shared by its cases; cases that
 * write use ids of their own so that they do not depend on one another's order.
 */

export const BASE_URL = 'http://test.local/fhir';

export interface Contract {
  /** The adapter under test, for messages. */
  readonly adapter: string;
  readonly store: Store;
  /** Another store on the same data (a second server process), or why the deployment allows only one. */
  openAnother(): Promise<Store | { singleWriter: string }>;
}

export function describeContract(title: string, body: (c: Contract) => void): void {
  for (const adapter of storeAdapters()) {
    const skipped = adapter.skipReason ? ` (skipped: ${adapter.skipReason})` : '';
    describe(`Store contract [${adapter.name}]: ${title}${skipped}`, function () {
      let opened: OpenedStore | undefined;
      const contract: Contract = {
        adapter: adapter.name,
        get store(): Store {
          if (!opened) throw new Error(`${adapter.name} store is not open`);
          return opened.store;
        },
        openAnother: async () => {
          if (opened?.openAnother) return opened.openAnother();
          return { singleWriter: opened?.singleWriter ?? 'one writing process' };
        },
      };
      before(async function () {
        if (adapter.skipReason) this.skip();
        opened = await adapter.open();
      });
      after(async () => {
        await opened?.dispose();
        opened = undefined;
      });
      body(contract);
    });
  }
}

/**
 * Query string → SearchQuery through the real parser, strict, as a type-level search of `type` (or system search),
 * against `parameters` (a store's, after a reindex) or the official R4 set.
 */
export function searchQuery(type: string | undefined, queryString: string, parameters?: SearchParameters): SearchQuery {
  const pairs = [...new URLSearchParams(queryString).entries()];
  const types = type ? [type] : resourceTypes();
  return parseSearch(types, pairs, true, { baseUrl: BASE_URL, parameters }).query;
}

export function condition(type: string, queryString: string): Condition {
  return { query: searchQuery(type, queryString) };
}

/** The ids of every match (all pages), sorted, so assertions do not depend on order. */
export async function ids(store: Store, type: string | undefined, queryString: string): Promise<string[]> {
  const found = await allPages(store, searchQuery(type, withCount(queryString, 100)));
  return found.map((v) => v.id).sort();
}

/** `Type/id` of every match, sorted: for searches over several types. */
export async function refs(store: Store, type: string | undefined, queryString: string, extra: Filter[] = []): Promise<string[]> {
  const q = searchQuery(type, withCount(queryString, 100));
  q.filters.push(...extra);
  return (await allPages(store, q)).map((v) => `${v.type}/${v.id}`).sort();
}

function withCount(queryString: string, count: number): string {
  return /(^|&)_count=/.test(queryString) ? queryString : [queryString, `_count=${count}`].filter(Boolean).join('&');
}

/** Every page of a search in order, following `next`; `between` runs after each page that has a next one. */
export async function allPages(
  store: Store,
  query: SearchQuery,
  between?: (page: number) => Promise<void>,
): Promise<StoredVersion[]> {
  const out: StoredVersion[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 500; page++) {
    const result: Page<StoredVersion> = await store.search({ ...query, cursor });
    out.push(...result.entries);
    if (!result.next) return out;
    cursor = result.next;
    await between?.(page);
  }
  throw new Error('paging did not end after 500 pages');
}

/** Creates or replaces resources by id, in one commit. */
export async function put(store: Store, ...resources: Array<Record<string, unknown>>): Promise<OpResult[]> {
  return store.commit(resources.map((r) => ({
    kind: 'update' as const, type: r.resourceType as string, id: r.id as string, resource: r as unknown as FhirResource,
  })));
}

export async function remove(store: Store, type: string, id: string): Promise<OpResult[]> {
  return store.commit([{ kind: 'delete', type, id }]);
}

/** The Patient compartment of `id`, limited to `types`, as the compartment search interaction builds it. */
export function patientCompartmentFilter(id: string, types: string[]): Filter {
  const members = patientCompartment();
  return {
    kind: 'compartment', compartmentType: 'Patient', id,
    paramsByType: Object.fromEntries(types.map((t) => [t, members.get(t) ?? []])),
  };
}

export function asResource(r: Record<string, unknown>): FhirResource {
  return r as unknown as FhirResource;
}

/** An id or identifier value no other case uses, so cases sharing a store never collide. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Marks the running case pending, with the reason in its title so that every run shows why. */
export function skipWith(ctx: Mocha.Context, reason: string): never {
  if (ctx.test) ctx.test.title += ` [${reason}]`;
  ctx.skip();
}
