import assert from 'node:assert/strict';
import type { FhirResource } from 'fhir/r4';
import { parseSearch } from '../../src/search/parse';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';

/**
 * `date=ge…&date=lt…` on one parameter: answered by one bounded scan when every resource holds one value of the
 * parameter, by two scans when some hold several. The answer must be the spec's either way: each filter is met by
 * some value of the resource (https://hl7.org/fhir/R4/search.html#date).
 */
describe('SQLite store: date ranges on one parameter', () => {
  let store: SqliteStore;
  const ids = async (type: string, query: string) => {
    const { query: q } = parseSearch([type], [...new URLSearchParams(query)], true);
    const page = await store.search({ ...q, count: 100 });
    return page.entries.map((e) => e.id).sort();
  };
  /** The spec's answer: each filter on its own (one scan each, never merged), intersected. */
  const apart = async (type: string, query: string) => {
    const sets = await Promise.all([...new URLSearchParams(query)].map(([k, v]) => ids(type, `${k}=${encodeURIComponent(v)}`)));
    return sets.reduce((a, b) => a.filter((id) => b.includes(id)));
  };
  const put = (...resources: object[]) => store.commit(resources.map((resource) => ({ kind: 'update', type: (resource as FhirResource).resourceType, id: (resource as FhirResource).id, resource: resource as FhirResource })));
  const obs = (id: string, effective: object) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, ...effective });

  beforeEach(async () => {
    store = new SqliteStore({ filename: ':memory:' });
    await put(
      obs('year', { effectiveDateTime: '2019' }),
      obs('mid-march', { effectiveDateTime: '2019-03-15T10:00:00+01:00' }),
      obs('last-second', { effectiveDateTime: '2019-03-31T23:59:59Z' }),
      obs('april-first', { effectiveDateTime: '2019-04-01' }),
      obs('new-year-eve', { effectiveDateTime: '2018-12-31' }),
      obs('long-period', { effectivePeriod: { start: '2016-06-01', end: '2019-03-02' } }),
      obs('no-date', {}),
    );
  });
  afterEach(async () => store.close());

  it('finds every single-valued resource with a value in the range, at any precision, with one bounded scan', async () => {
    const want = ['last-second', 'long-period', 'mid-march', 'year'];
    assert.deepEqual(await ids('Observation', 'date=ge2019-03-01&date=lt2019-04-01'), want);
    assert.deepEqual(await ids('Observation', 'date=lt2019-04-01&date=ge2019-03-01'), want, 'either order');
    for (const query of [
      'date=ge2019-03-01&date=lt2019-04-01', 'date=gt2019-02-28&date=le2019-03-31', 'date=sa2019-03-01&date=eb2019-04-01',
      'date=ge2019&date=lt2020', 'date=ge2019-03-31T23:59:59Z&date=le2019-04-01T00:00:00Z', 'date=gt2016&date=lt2016-07',
    ]) {
      assert.deepEqual(await ids('Observation', query), await apart('Observation', query), query);
    }
    const plan = store.explain(parseSearch(['Observation'], [['date', 'ge2019-03-01'], ['date', 'lt2019-04-01']], true).query).join('\n');
    assert.match(plan, /idx_date_low \(type=\? AND param=\? AND low>\? AND low<\?\)/, plan);
    const { total } = await store.search({ ...parseSearch(['Observation'], [['date', 'ge2019-03-01'], ['date', 'lt2019-04-01'], ['_total', 'accurate']], true).query, count: 1 });
    assert.equal(total, 4);
  });

  it('widens the bound when a wider value is written later', async () => {
    assert.deepEqual(await ids('Observation', 'date=ge2019-03-20&date=lt2019-03-25'), ['year']);
    await put(obs('decade', { effectivePeriod: { start: '2010-01-01', end: '2020-01-01' } }));
    assert.deepEqual(await ids('Observation', 'date=ge2019-03-20&date=lt2019-03-25'), ['decade', 'year']);
  });

  it('keeps the spec\'s answer for a parameter with several values per resource', async () => {
    // One Goal's targets fall on either side of March: some value is ≥ March 1 and some value is < April 1.
    await put(
      { resourceType: 'Goal', id: 'both-sides', lifecycleStatus: 'active', description: { text: 'x' }, subject: { reference: 'Patient/p' }, target: [{ dueDate: '2019-01-10' }, { dueDate: '2019-06-10' }] },
      { resourceType: 'Goal', id: 'in-march', lifecycleStatus: 'active', description: { text: 'x' }, subject: { reference: 'Patient/p' }, target: [{ dueDate: '2019-03-10' }] },
      { resourceType: 'Goal', id: 'later', lifecycleStatus: 'active', description: { text: 'x' }, subject: { reference: 'Patient/p' }, target: [{ dueDate: '2019-09-10' }] },
    );
    assert.deepEqual(await ids('Goal', 'target-date=ge2019-03-01&target-date=lt2019-04-01'), ['both-sides', 'in-march']);
  });
});
