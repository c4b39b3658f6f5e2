import assert from 'node:assert/strict';
import type { FhirResource } from 'fhir/r4';
import { IndexExtractor } from '../../src/search/extract';
import type { Filter, FilterValue, ParamType, SearchQuery } from '../../src/search/model';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';

/**
 * SQLite's query plans (EXPLAIN QUERY PLAN) for the common search shapes: every step must be a SEARCH through an
 * index, never a SCAN of an index table or of resources, so that no search falls back to reading a whole table by
 * accident as the data grows. Filtered searches must start from the filter's rids (the primary key), not from
 * every resource of the type. docs/search.md explains the shapes.
 */

const LOINC = 'http://loinc.org';
const CODES = ['8480-6', '8462-4', '29463-7', '8302-6', '85354-9'];

const p = (param: string, type: ParamType, values: FilterValue[], modifier?: string): Filter => ({ kind: 'param', param, type, values, modifier });
const token = (code: string, system?: string): FilterValue => ({ kind: 'token', value: { code, system } });
const inYear = (prefix: 'eq' | 'ge' | 'gt', year: number): FilterValue => ({
  kind: 'date', value: { prefix, low: `${year}-01-01T00:00:00.000Z`, high: `${year}-12-31T23:59:59.999Z` },
});

function query(types: string[], filters: Filter[], extra: Partial<SearchQuery> = {}): SearchQuery {
  return { types, filters, sort: [], count: 20, total: 'none', ...extra };
}

const SHAPES: Record<string, SearchQuery> = {
  'token system|code': query(['Observation'], [p('code', 'token', [token('8480-6', LOINC)])]),
  'token, several values': query(['Observation'], [p('code', 'token', [token('8480-6'), token('8462-4')])]),
  'string starts-with': query(['Patient'], [p('name', 'string', [{ kind: 'string', value: 'ber' }])]),
  'string :exact': query(['Patient'], [p('family', 'string', [{ kind: 'string', value: 'Berg' }], 'exact')]),
  'date eq': query(['Observation'], [p('date', 'date', [inYear('eq', 2020)])]),
  'date ge (two arms)': query(['Observation'], [p('date', 'date', [inYear('ge', 2020)])]),
  'date gt': query(['Observation'], [p('date', 'date', [inYear('gt', 2020)])]),
  'quantity with unit': query(['Observation'], [
    p('value-quantity', 'quantity', [{ kind: 'quantity', value: { prefix: 'gt', value: 100, low: 99.5, high: 100.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }]),
  ]),
  'uri': query(['ValueSet'], [p('url', 'uri', [{ kind: 'uri', value: 'http://acme.org/vs/1' }])]),
  'reference Type/id': query(['Observation'], [p('subject', 'reference', [{ kind: 'reference', value: { type: 'Patient', id: 'p7' } }])]),
  'reference bare id': query(['Observation'], [p('subject', 'reference', [{ kind: 'reference', value: { id: 'p7' } }])]),
  'two filters': query(['Observation'], [p('code', 'token', [token('8480-6')]), p('date', 'date', [inYear('eq', 2020)])]),
  'chain of two links': query(['Observation'], [{
    kind: 'chain', param: 'subject', targetTypes: ['Patient'],
    filter: { kind: 'chain', param: 'organization', targetTypes: ['Organization'], filter: p('name', 'string', [{ kind: 'string', value: 'karo' }]) },
  }]),
  '_has': query(['Patient'], [{ kind: 'has', type: 'Observation', param: 'subject', filter: p('code', 'token', [token('29463-7')]) }]),
  'nested _has': query(['Organization'], [{
    kind: 'has', type: 'Patient', param: 'organization',
    filter: { kind: 'has', type: 'Observation', param: 'subject', filter: p('code', 'token', [token('29463-7')]) },
  }]),
  'composite': query(['Observation'], [p('code-value-quantity', 'composite', [{
    kind: 'composite', value: [token('8480-6', LOINC), { kind: 'quantity', value: { prefix: 'gt', value: 100, low: 99.5, high: 100.5 } }],
  }])]),
  'sort by date, filtered': query(['Observation'], [p('code', 'token', [token('8480-6')])], { sort: [{ param: 'date', descending: true }] }),
  'sort by date, next page': query(['Observation'], [p('code', 'token', [token('8480-6')])], {
    sort: [{ param: 'date', descending: true }], cursor: Buffer.from(JSON.stringify(['2020-01-01T00:00:00.000Z', 10])).toString('base64url'),
  }),
  'sort by date, unfiltered': query(['Observation'], [], { sort: [{ param: 'date', descending: false }] }),
  'sort by date descending, unfiltered': query(['Observation'], [], { sort: [{ param: 'date', descending: true }] }),
  'sort by date, unfiltered, next page': query(['Observation'], [], {
    sort: [{ param: 'date', descending: true }], cursor: Buffer.from(JSON.stringify(['2015-06-01T23:59:59.999Z', 10])).toString('base64url'),
  }),
  'sort by string, unfiltered': query(['Patient'], [], { sort: [{ param: 'family', descending: false }] }),
  'no filter, next page': query(['Patient'], [], { cursor: Buffer.from(JSON.stringify([10])).toString('base64url') }),
  ':missing': query(['Patient'], [p('gender', 'token', [{ kind: 'missing', value: true }])]),
  ':not': query(['Patient'], [p('gender', 'token', [token('male')], 'not')]),
  '_lastUpdated': query(['Patient'], [p('_lastUpdated', 'date', [inYear('ge', 2020)])]),
  '_id': query(['Patient'], [p('_id', 'token', [{ kind: 'id', value: 'p1' }])]),
};

/** Shapes that do not select by an index table start elsewhere (by type, by _id, by _lastUpdated). */
const NOT_BY_RID = new Set([
  'sort by date, unfiltered', 'sort by date descending, unfiltered', 'sort by date, unfiltered, next page', 'sort by string, unfiltered',
  'no filter, next page', ':missing', ':not', '_lastUpdated', '_id']);

describe('SQLite store: query plans use indexes for every step', () => {
  let store: SqliteStore;

  before(async () => {
    store = new SqliteStore({ filename: ':memory:' });
    await store.commit(population().map((resource) => ({
      kind: 'update' as const, type: resource.resourceType, id: resource.id!, resource,
    })));
  });
  after(async () => store.close());

  for (const [name, q] of Object.entries(SHAPES)) {
    it(name, async () => {
      const plan = store.explain(q);
      const shown = `\n${plan.join('\n')}`;
      // Only the page (`p`, at most _count + 1 rows) and the matches with their sort values are read whole.
      const scans = plan.filter((line) => /^\s*SCAN /.test(line) && !/^\s*SCAN (p|d|matches|\(subquery-\d+\))$/.test(line));
      assert.deepEqual(scans, [], `full scans in:${shown}`);
      const resources = plan.find((line) => /^\s*SEARCH r /.test(line));
      assert.ok(resources, `resources are looked up, not scanned:${shown}`);
      if (!NOT_BY_RID.has(name)) assert.match(resources, /SEARCH r USING INTEGER PRIMARY KEY/, `starts from the filter's rids:${shown}`);
      assert.ok((await store.search(q)).entries.length >= 0);
    });
  }

  it('one filter that is one equality scan pages straight from the index, without listing every match first', () => {
    for (const name of ['token system|code', 'reference Type/id']) {
      const plan = store.explain(SHAPES[name]);
      const shown = `\n${plan.join('\n')}`;
      assert.ok(plan.some((line) => /^\s*CO-ROUTINE d$/.test(line)), `pages from the scan:${shown}`);
      assert.ok(!plan.some((line) => /LIST SUBQUERY|TEMP B-TREE FOR DISTINCT/.test(line)), `no list of every match:${shown}`);
      assert.equal(plan.filter((line) => /TEMP B-TREE/.test(line)).length, 1, `only the page itself is sorted:${shown}`);
    }
  });

  it('an unfiltered sort by one parameter walks its index in order instead of sorting every resource', () => {
    const walks: Array<[SearchQuery, RegExp]> = [
      [SHAPES['sort by date, unfiltered'], /SEARCH w USING COVERING INDEX idx_date_low \(type=\? AND param=\?\)/],
      [SHAPES['sort by date descending, unfiltered'], /SEARCH w USING COVERING INDEX idx_date_high \(type=\? AND param=\?\)/],
      [SHAPES['sort by date, unfiltered, next page'], /SEARCH w USING COVERING INDEX idx_date_high \(type=\? AND param=\? AND high<\?\)/],
      [SHAPES['sort by string, unfiltered'], /SEARCH w USING COVERING INDEX idx_string_lookup \(type=\? AND param=\?\)/],
    ];
    for (const [q, walk] of walks) {
      const plan = store.explain(q);
      const shown = `\n${plan.join('\n')}`;
      assert.ok(plan.some((line) => walk.test(line)), `walks the index:${shown}`);
      assert.ok(!plan.some((line) => /MATERIALIZE/.test(line)), `computes no sort value for every resource:${shown}`);
    }
  });
});

/** Organizations, patients and observations enough for the planner to face real tables. */
function population(): FhirResource[] {
  const out: FhirResource[] = [];
  for (let o = 0; o < 5; o++) out.push({ resourceType: 'Organization', id: `o${o}`, name: `Organization ${o}` });
  for (let i = 0; i < 60; i++) {
    out.push({
      resourceType: 'Patient', id: `p${i}`, gender: i % 2 ? 'male' : 'female', birthDate: `19${40 + (i % 60)}-01-01`,
      name: [{ family: ['Berg', 'Lind', 'Ek', 'Holm'][i % 4], given: ['Anna'] }], managingOrganization: { reference: `Organization/o${i % 5}` },
    });
    for (let k = 0; k < 4; k++) {
      out.push({
        resourceType: 'Observation', id: `obs${i}-${k}`, status: 'final', subject: { reference: `Patient/p${i}` },
        code: { coding: [{ system: LOINC, code: CODES[(i + k) % CODES.length] }] },
        effectiveDateTime: `20${10 + ((i + k) % 14)}-06-01`,
        valueQuantity: { value: 60 + i + k, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      });
    }
  }
  out.push({ resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://acme.org/vs/1' });
  return out;
}
