import assert from 'node:assert/strict';
import type { SearchQuery } from '../../../src/search/model';
import type { StoredVersion } from '../../../src/store/types';
import { allPages, describeContract, put, remove, searchQuery, type Contract } from './harness';

/**
 * _sort on several keys in both directions, keyset paging through every page (also while resources are written
 * between pages), the default order and _total. https://hl7.org/fhir/R4/search.html#sort, #count, #total;
 * https://hl7.org/fhir/R4/http.html#paging
 */

const FAMILIES = ['Berg', 'Åberg', 'Lind', 'Berg', undefined, 'Holm', 'lind', 'Ek', undefined, 'Berg', 'Öst', 'ek'];
const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const PATIENT_COUNT = 30;

function population(): Array<Record<string, unknown>> {
  return Array.from({ length: PATIENT_COUNT }, (_, i) => {
    const family = FAMILIES[i % FAMILIES.length];
    const birthDate = i % 5 === 3 ? undefined : `19${50 + ((i * 7) % 40)}-0${1 + (i % 9)}-1${i % 10}`;
    return {
      resourceType: 'Patient', id: `s${String(i).padStart(2, '0')}`, gender: ['male', 'female', 'other'][i % 3], birthDate,
      ...(family && { name: [{ family }] }),
    };
  });
}

type Value = string | undefined;

const familyOf = (p: Record<string, any>): Value => p.name?.[0]?.family && fold(p.name[0].family);

/** The value a resource sorts by, for the few parameters these cases use. */
function sortValue(v: StoredVersion, param: string): Value {
  const r = v.resource as unknown as Record<string, any>;
  if (param === 'family') return familyOf(r);
  if (param === 'gender') return r.gender;
  if (param === 'birthdate') return r.birthDate;
  if (param === '_id') return v.id;
  throw new Error(`no sort value for ${param}`);
}

/** -1, 0, 1: how a and b compare under `sort`, missing values last in either direction. */
function compare(a: StoredVersion, b: StoredVersion, sort: SearchQuery['sort']): number {
  for (const k of sort) {
    const [x, y] = [sortValue(a, k.param), sortValue(b, k.param)];
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return (x < y ? -1 : 1) * (k.descending ? -1 : 1);
  }
  return 0;
}

function assertSorted(found: StoredVersion[], sort: SearchQuery['sort'], label: string): void {
  for (let i = 1; i < found.length; i++) {
    assert.ok(compare(found[i - 1], found[i], sort) <= 0, `${label}: ${found[i - 1].id} before ${found[i].id}`);
  }
}

const idsOf = (found: StoredVersion[]) => found.map((v) => v.id);

async function seedPopulation(c: Contract): Promise<void> {
  await put(c.store, ...population().slice(0, 10));
  await put(c.store, ...population().slice(10));
}

describeContract('search: _sort and keyset paging', (c) => {
  before(async () => {
    await seedPopulation(c);
  });

  for (const sortText of ['family,-birthdate', '-family,birthdate', 'gender,-family,-_id', '-birthdate', 'family', '_id', '-_id']) {
    it(`_sort=${sortText}: in order, missing values last, every page without gaps or repeats`, async () => {
      const q = searchQuery('Patient', `_sort=${sortText}&_count=1000`);
      const whole = (await c.store.search(q)).entries;
      assert.equal(whole.length, PATIENT_COUNT);
      assertSorted(whole, q.sort, sortText);
      for (const count of [1, 4, 7, 29, 30]) {
        const paged = await allPages(c.store, searchQuery('Patient', `_sort=${sortText}&_count=${count}`));
        assert.deepEqual(idsOf(paged), idsOf(whole), `_count=${count}: the pages are the whole answer, in the same order`);
      }
    });
  }

  it('_sort with a filter, and sorts of a total order are fully determined', async () => {
    const q = searchQuery('Patient', '_sort=-_id&gender=female&_count=3');
    const paged = idsOf(await allPages(c.store, q));
    const want = population().filter((p) => p.gender === 'female').map((p) => p.id as string).sort().reverse();
    assert.deepEqual(paged, want);
  });

  it('the default order is insertion order, kept by updates, paged without gaps', async () => {
    await put(c.store, population()[5]);
    const paged = idsOf(await allPages(c.store, searchQuery('Patient', '_count=4')));
    assert.deepEqual(paged, population().map((p) => p.id));
  });

  it('a page is never longer than _count; the last page has no next', async () => {
    const first = await c.store.search(searchQuery('Patient', '_count=8&_sort=family'));
    assert.equal(first.entries.length, 8);
    assert.ok(first.next);
    const last = await c.store.search(searchQuery('Patient', '_count=30&_sort=family'));
    assert.equal(last.entries.length, 30);
    assert.equal(last.next, undefined);
  });

  it('refuses a cursor that is not its own', async () => {
    await assert.rejects(c.store.search({ ...searchQuery('Patient', '_count=2'), cursor: 'garbage' }), { category: 'invalid' });
    const page = await c.store.search(searchQuery('Patient', '_count=2'));
    await assert.rejects(c.store.search({ ...searchQuery('Patient', '_count=2&_sort=family,birthdate'), cursor: page.next }), { category: 'invalid' });
  });

  describe('other value types', () => {
    before(async () => {
      await put(c.store,
        { resourceType: 'RiskAssessment', id: 'r1', status: 'final', subject: { reference: 'Patient/s05' }, prediction: [{ probabilityDecimal: 0.5 }] },
        { resourceType: 'RiskAssessment', id: 'r2', status: 'final', subject: { reference: 'Patient/s01' }, prediction: [{ probabilityDecimal: 0.1 }, { probabilityDecimal: 0.9 }] },
        { resourceType: 'RiskAssessment', id: 'r3', status: 'final', subject: { reference: 'Patient/s03' } },
        { resourceType: 'Observation', id: 'w1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, valueQuantity: { value: 80, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } },
        { resourceType: 'Observation', id: 'w2', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, valueQuantity: { value: 60, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } },
        { resourceType: 'ValueSet', id: 'v1', status: 'active', url: 'http://b.org' },
        { resourceType: 'ValueSet', id: 'v2', status: 'draft', url: 'http://a.org' },
      );
    });
    const order = async (type: string, sort: string) => idsOf((await c.store.search(searchQuery(type, `_sort=${sort}`))).entries);

    it('number, quantity, uri, token and reference values; several values: least ascending, greatest descending', async () => {
      assert.deepEqual(await order('RiskAssessment', 'probability'), ['r2', 'r1', 'r3']);
      assert.deepEqual(await order('RiskAssessment', '-probability'), ['r2', 'r1', 'r3']);
      assert.deepEqual(await order('RiskAssessment', 'subject'), ['r2', 'r3', 'r1']);
      assert.deepEqual(await order('Observation', 'value-quantity'), ['w2', 'w1']);
      assert.deepEqual(await order('Observation', '-value-quantity'), ['w1', 'w2']);
      assert.deepEqual(await order('ValueSet', '-url'), ['v1', 'v2']);
      assert.deepEqual(await order('ValueSet', 'url'), ['v2', 'v1']);
      assert.deepEqual(await order('ValueSet', 'status'), ['v1', 'v2']);
    });

    it('_lastUpdated, and _id across several types', async () => {
      for (const id of ['g1', 'g2', 'g3']) {
        await new Promise((resolve) => setTimeout(resolve, 3));
        await put(c.store, { resourceType: 'Group', id, type: 'person', actual: true });
      }
      assert.deepEqual(await order('Group', '-_lastUpdated'), ['g3', 'g2', 'g1']);
      assert.deepEqual(await order('Group', '_lastUpdated'), ['g1', 'g2', 'g3']);
      const mixed = (await c.store.search(searchQuery(undefined, '_type=Group,ValueSet&_sort=-_id'))).entries.map((v) => v.id);
      assert.deepEqual(mixed, ['v2', 'v1', 'g3', 'g2', 'g1']);
    });
  });
});

/**
 * Pages through `q`, writing between pages: new resources sorting before and after the cursor, an update that moves
 * one, a delete.
 */
async function pagedWithWrites(c: Contract, q: SearchQuery): Promise<{ seen: string[]; changed: Set<string>; before: string[] }> {
  const before = idsOf((await c.store.search({ ...q, count: 1000 })).entries);
  const changed = new Set<string>();
  const seen = idsOf(await allPages(c.store, q, async (page) => {
    await put(c.store, { resourceType: 'Patient', id: `a${page}`, name: [{ family: 'Aaa' }] }, { resourceType: 'Patient', id: `z${page}`, name: [{ family: 'Zzz' }] });
    const moved = before[(page * 5 + 2) % before.length];
    const gone = before[(page * 7 + 11) % before.length];
    if (!changed.has(moved)) await put(c.store, { resourceType: 'Patient', id: moved, name: [{ family: 'Mmm' }] });
    if (!changed.has(gone)) await remove(c.store, 'Patient', gone);
    changed.add(moved).add(gone);
  }));
  return { seen, changed, before };
}

describeContract('search: sorted paging while resources are written', (c) => {
  before(async () => {
    await seedPopulation(c);
  });

  it('resources that did not change are seen exactly once; new ones at most once, found when after the cursor', async () => {
    const { seen, changed, before } = await pagedWithWrites(c, searchQuery('Patient', '_sort=family,-birthdate&_count=3'));
    for (const id of before.filter((i) => !changed.has(i))) assert.equal(seen.filter((s) => s === id).length, 1, `${id} unchanged: seen once`);
    for (const id of seen.filter((s) => /^[az]\d/.test(s))) assert.equal(seen.filter((s) => s === id).length, 1, `${id} is new: seen at most once`);
    assert.ok(seen.includes('z0'), 'a resource written after the cursor position is found');
    assert.ok(!seen.includes('a0'), 'one written before the cursor position is not');
  });
});

describeContract('search: default-order paging while resources are written', (c) => {
  before(async () => {
    await seedPopulation(c);
  });

  it('no repeats, and resources created meanwhile come at the end', async () => {
    const { seen, changed, before } = await pagedWithWrites(c, searchQuery('Patient', '_count=4'));
    assert.equal(new Set(seen).size, seen.length, 'no resource twice');
    for (const id of before.filter((i) => !changed.has(i))) assert.ok(seen.includes(id), `${id} unchanged: seen`);
    assert.ok(seen.includes('a0') && seen.includes('z0'), 'created after the first page, inserted after it');
  });
});

describeContract('search: _total', (c) => {
  before(async () => {
    await seedPopulation(c);
    await remove(c.store, 'Patient', 's00');
  });

  it('accurate counts every match on every page; none leaves it out; estimate is a count', async () => {
    const q = (extra: string) => searchQuery('Patient', `_count=4&${extra}`);
    const accurate = await c.store.search(q('_total=accurate'));
    assert.equal(accurate.total, PATIENT_COUNT - 1);
    assert.equal(accurate.entries.length, 4);
    const second = await c.store.search({ ...q('_total=accurate'), cursor: accurate.next });
    assert.equal(second.total, PATIENT_COUNT - 1, 'the total of the search, not of what is left');
    assert.equal((await c.store.search(q('_total=none'))).total, undefined);
    const estimate = (await c.store.search(q('_total=estimate'))).total;
    assert.equal(typeof estimate, 'number');
    assert.equal((await c.store.search(q('_total=accurate&gender=female'))).total, 10);
    const maleBergs = population().filter((p) => p.id !== 's00' && p.gender === 'male' && familyOf(p)?.startsWith('berg'));
    assert.ok(maleBergs.length > 1);
    assert.equal((await c.store.search(q('_total=accurate&gender=male&family=berg'))).total, maleBergs.length);
    assert.equal((await c.store.search(q('_total=accurate&family=nobody'))).total, 0);
  });

  it('_count=0: no entries, the total only', async () => {
    const page = await c.store.search(searchQuery('Patient', '_count=0&_total=accurate&gender=male'));
    assert.deepEqual(page.entries, []);
    assert.equal(page.total, 9, 's00 is deleted');
    assert.equal(page.next, undefined);
  });
});
