import assert from 'node:assert/strict';
import type { FhirResource } from 'fhir/r4';
import { parseSearch } from '../../src/search/parse';
import type { SearchQuery } from '../../src/search/model';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';

/**
 * `_has` whose inner filter matches many sources (over a thousand Observations of one code): the store tests each
 * candidate subject instead of listing every subject first. The answers must not change: every page, in order,
 * with and without `_sort`, and the totals, against what the data says.
 */
describe('SQLite store: _has over many sources', () => {
  let store: SqliteStore;
  const query = (params: Array<[string, string]>): SearchQuery => parseSearch(['Patient'], params, true).query;
  const allPages = async (q: SearchQuery): Promise<string[]> => {
    const out: string[] = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await store.search({ ...q, cursor });
      out.push(...page.entries.map((e) => e.id));
      cursor = page.next;
    }
    return out;
  };

  before(async () => {
    store = new SqliteStore({ filename: ':memory:' });
    const resources: FhirResource[] = [];
    for (let p = 0; p < 700; p++) {
      resources.push({ resourceType: 'Patient', id: `p${String(p).padStart(3, '0')}`, birthDate: `19${String(p % 90 + 10)}-01-01` });
    }
    // Every patient but multiples of 7 has two common Observations; multiples of 5 also have a rare one.
    for (let p = 0; p < 700; p++) {
      const subject = { reference: `Patient/p${String(p).padStart(3, '0')}` };
      if (p % 7 !== 0) {
        for (const k of [0, 1]) resources.push({ resourceType: 'Observation', id: `c${p}-${k}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: 'common' }] }, subject });
      }
      if (p % 5 === 0) resources.push({ resourceType: 'Observation', id: `r${p}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: 'rare' }] }, subject });
    }
    for (let i = 0; i < resources.length; i += 500) {
      await store.commit(resources.slice(i, i + 500).map((resource) => ({ kind: 'update', type: resource.resourceType, id: resource.id, resource })));
    }
  });
  after(async () => store.close());

  const ids = (pred: (p: number) => boolean) => Array.from({ length: 700 }, (_, p) => p).filter(pred).map((p) => `p${String(p).padStart(3, '0')}`);

  it('pages through every subject once, in order, and counts them, for a common and a rare inner filter', async () => {
    const common = query([['_has:Observation:subject:code', 'common'], ['_count', '20'], ['_total', 'accurate']]);
    assert.deepEqual(await allPages(common), ids((p) => p % 7 !== 0));
    assert.equal((await store.search(common)).total, 600);
    const rare = query([['_has:Observation:subject:code', 'rare'], ['_count', '20']]);
    assert.deepEqual(await allPages(rare), ids((p) => p % 5 === 0));
  });

  it('combines with other filters and _sort', async () => {
    const both = query([['_has:Observation:subject:code', 'common'], ['birthdate', 'ge1990'], ['_sort', '-birthdate,_id'], ['_count', '13']]);
    const want = ids((p) => p % 7 !== 0 && p % 90 + 10 >= 90)
      .sort((a, b) => (Number(b.slice(1)) % 90) - (Number(a.slice(1)) % 90) || a.localeCompare(b));
    assert.deepEqual(await allPages(both), want);
  });

  it('tests candidates through the reference index when the sources are many, and lists them when few', () => {
    const common = store.explain(query([['_has:Observation:subject:code', 'common']])).join('\n');
    assert.match(common, /EXISTS USING COVERING INDEX idx_reference_target/, common);
    const rare = store.explain(query([['_has:Observation:subject:code', 'rare']])).join('\n');
    assert.doesNotMatch(rare, /EXISTS/, rare);
  });
});
