import { instantRange } from '../../src/fhir/instants';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { FhirResource } from 'fhir/r4';
import { IndexExtractor } from '../../src/search/extract';
import type { Filter, FilterValue, ParamType, Prefix, ReferenceValue, SearchQuery, SortKey } from '../../src/search/model';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import {
  NOW, LOINC, UCUM, PNR, V2_0203, tok, str, uri, ref, missing, date, num, qty, composite, p, chain, has, precision, query, quantity, coding, seedSearchData,
} from '../support/search-fixtures';

/**
 * The SQLite adapter's search, driven through the store with hand-built SearchQuery objects (no parser) and the
 * real IndexExtractor: every parameter type, modifier and prefix, chains, _has, composites, :missing, _sort with
 * keyset paging, _total and readMany. https://hl7.org/fhir/R4/search.html
 */


let store: SqliteStore;
let clock = NOW;

function openStore(filename = ':memory:'): SqliteStore {
  return new SqliteStore({ filename, now: () => clock });
}


/** Ids of the matches, sorted, so assertions do not depend on order. */
async function ids(type: string, ...filters: Filter[]): Promise<string[]> {
  const page = await store.search(query([type], filters));
  return page.entries.map((e) => e.id).sort();
}

async function put(...resources: Array<Record<string, unknown>>): Promise<void> {
  await store.commit(resources.map((r) => ({ kind: 'update', type: r.resourceType as string, id: r.id as string, resource: r as unknown as FhirResource })));
}

async function remove(type: string, id: string): Promise<void> {
  await store.commit([{ kind: 'delete', type, id }]);
}


async function seed(): Promise<void> {
  await seedSearchData(put);
}

describe('SQLite store: search (https://hl7.org/fhir/R4/search.html)', () => {
  beforeEach(async () => {
    clock = NOW;
    store = openStore();
    await seed();
  });
  afterEach(async () => store.close());

  it('token: system|code, |code, system|, code, several values, :not, :text, :of-type', async () => {
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female')])), ['p1']);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female'), tok('male')])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('197005141234', PNR)])), ['p1']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('197005141234', '')])), []);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok(undefined, PNR)])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('198501015678')])), ['p2']);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('male')], 'not')), ['p1', 'p3'], ':not keeps resources without the parameter');
    assert.deepEqual(await ids('Observation', p('code', 'token', [str('blood PRESS')], 'text')), ['obs1']);
    const ofType = composite(tok('MR', V2_0203), tok('197005141234'));
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [ofType], 'of-type')), ['p1']);
    const wrongType = composite(tok('SS', V2_0203), tok('197005141234'));
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [wrongType], 'of-type')), []);
  });

  it('string: folded starts-with, :exact as written, :contains', async () => {
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('and')])), ['p2']);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('AST')])), ['p1'], 'Åström folds to astrom');
    assert.deepEqual(await ids('Patient', p('family', 'string', [str('Åström')], 'exact')), ['p1']);
    assert.deepEqual(await ids('Patient', p('family', 'string', [str('åström')], 'exact')), []);
    assert.deepEqual(await ids('Patient', p('family', 'string', [str('Åstr')], 'exact')), []);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('ERS')], 'contains')), ['p2']);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('str')], 'contains')), ['p1']);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('100%')], 'contains')), []);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('ber'), str('kar')])), ['p1', 'p3']);
  });

  it('date: every prefix against the stored range', async () => {
    const birth = async (prefix: Prefix, text: string) => ids('Patient', p('birthdate', 'date', [date(prefix, text)]));
    assert.deepEqual(await birth('eq', '1970'), ['p1']);
    assert.deepEqual(await birth('eq', '1970-05-14'), ['p1']);
    assert.deepEqual(await birth('eq', '1990-02-10'), [], 'a month is not within a day');
    assert.deepEqual(await birth('ne', '1970'), ['p2', 'p3']);
    assert.deepEqual(await birth('gt', '1980'), ['p2', 'p3']);
    assert.deepEqual(await birth('lt', '1985'), ['p1']);
    assert.deepEqual(await birth('ge', '1985'), ['p2', 'p3']);
    assert.deepEqual(await birth('le', '1985'), ['p1', 'p2']);
    assert.deepEqual(await birth('sa', '1985'), ['p3']);
    assert.deepEqual(await birth('eb', '1985'), ['p1']);
    // ap: ±10% of the distance to now (2025): 1988 widens to about [1984.3, 1992.6].
    assert.deepEqual(await birth('ap', '1988'), ['p2', 'p3']);
    const effective = async (prefix: Prefix, text: string) => ids('Observation', p('date', 'date', [date(prefix, text)]));
    assert.deepEqual(await effective('eq', '2024-01'), ['obs2'], 'the period lies within January');
    assert.deepEqual(await effective('eq', '2024-01-15'), [], 'the period is not within one day');
    assert.deepEqual(await effective('ge', '2024-01-15'), ['obs1', 'obs2'], 'the period reaches past the day');
    assert.deepEqual(await effective('lt', '2024-01-15'), ['obs2', 'obs3', 'obs4']);
  });

  it('_id and _lastUpdated read the resources columns', async () => {
    clock = Date.parse('2025-03-01T12:00:00.000Z');
    await put({ resourceType: 'Patient', id: 'late', gender: 'other' });
    assert.deepEqual(await ids('Patient', p('_id', 'token', [{ kind: 'id', value: 'p2' }, { kind: 'id', value: 'late' }])), ['late', 'p2']);
    assert.deepEqual(await ids('Patient', p('_lastUpdated', 'date', [date('ge', '2025-03')])), ['late']);
    assert.deepEqual(await ids('Patient', p('_lastUpdated', 'date', [date('lt', '2025-03')])), ['p1', 'p2', 'p3']);
    assert.deepEqual(await ids('Patient', p('_lastUpdated', 'date', [date('eq', '2025-03-01T12:00:00Z')])), ['late']);
  });

  it('number: precision range for eq/ne/ap, the value itself for the comparisons', async () => {
    const prob = async (prefix: Prefix, text: string) => ids('RiskAssessment', p('probability', 'number', [num(prefix, text)]));
    assert.deepEqual(await prob('eq', '0.25'), ['ra1']);
    assert.deepEqual(await prob('eq', '0.3'), ['ra1'], '0.3 is [0.25, 0.35)');
    assert.deepEqual(await prob('eq', '0.2'), [], '0.2 is [0.15, 0.25)');
    assert.deepEqual(await prob('ne', '0.25'), ['ra2']);
    assert.deepEqual(await prob('gt', '0.5'), ['ra2']);
    assert.deepEqual(await prob('lt', '0.5'), ['ra1']);
    assert.deepEqual(await prob('ge', '0.8'), ['ra2']);
    assert.deepEqual(await prob('le', '0.25'), ['ra1']);
    assert.deepEqual(await prob('ap', '0.27'), ['ra1']);
  });

  it('quantity: value with system|code, code alone also matching the unit', async () => {
    const value = async (v: FilterValue) => ids('Observation', p('value-quantity', 'quantity', [v]));
    assert.deepEqual(await value(qty('eq', '72.5', UCUM, 'kg')), ['obs2']);
    assert.deepEqual(await value(qty('eq', '72.5', undefined, 'kg')), ['obs2']);
    assert.deepEqual(await value(qty('eq', '90', undefined, 'kg')), ['obs4'], 'no system: the unit as written');
    assert.deepEqual(await value(qty('eq', '72.5', 'http://other.org', 'kg')), []);
    assert.deepEqual(await value(qty('gt', '100')), ['obs3']);
    assert.deepEqual(await value(qty('lt', '100', UCUM, 'kg')), ['obs2']);
    assert.deepEqual(await value(qty('ne', '140', UCUM, 'mm[Hg]')), []);
  });

  it('uri: exact, :below, :above', async () => {
    assert.deepEqual(await ids('ValueSet', p('url', 'uri', [uri('http://acme.org/fhir/ValueSet/123')])), ['vs1']);
    assert.deepEqual(await ids('ValueSet', p('url', 'uri', [uri('http://acme.org/fhir/ValueSet/12')])), []);
    assert.deepEqual(await ids('ValueSet', p('url', 'uri', [uri('http://acme.org/fhir/')], 'below')), ['vs1', 'vs2']);
    assert.deepEqual(await ids('ValueSet', p('url', 'uri', [uri('http://acme.org/fhir/ValueSet/123/_history/5')], 'above')), ['vs1']);
  });

  it('reference: Type/id, bare id, absolute URL, canonical url|version, :identifier', async () => {
    const subject = async (...values: FilterValue[]) => ids('Observation', p('subject', 'reference', values));
    assert.deepEqual(await subject(ref({ type: 'Patient', id: 'p1' })), ['obs1', 'obs2']);
    assert.deepEqual(await subject(ref({ id: 'p2' })), ['obs3', 'obs4']);
    assert.deepEqual(await subject(ref({ type: 'Group', id: 'p2' })), []);
    assert.deepEqual(await subject(ref({ url: 'https://other.example/fhir/Patient/x9' })), ['obs6']);
    assert.deepEqual(await ids('Observation', p('subject', 'reference', [tok('197005141234', PNR)], 'identifier')), ['obs5']);
    const questionnaire = async (v: ReferenceValue) => ids('QuestionnaireResponse', p('questionnaire', 'reference', [ref(v)]));
    assert.deepEqual(await questionnaire({ url: 'http://acme.org/Questionnaire/q1' }), ['qr1']);
    assert.deepEqual(await questionnaire({ url: 'http://acme.org/Questionnaire/q1', version: '2.0' }), ['qr1']);
    assert.deepEqual(await questionnaire({ url: 'http://acme.org/Questionnaire/q1', version: '3.0' }), []);
  });

  it(':missing both ways, on token, string, date and reference', async () => {
    assert.deepEqual(await ids('Patient', p('gender', 'token', [missing(true)])), ['p3']);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [missing(false)])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('given', 'string', [missing(true)])), ['p3']);
    assert.deepEqual(await ids('Observation', p('date', 'date', [missing(true)])), ['obs5', 'obs6']);
    assert.deepEqual(await ids('Patient', p('general-practitioner', 'reference', [missing(false)])), ['p1']);
    assert.deepEqual(await ids('Observation', p('code-value-quantity', 'composite', [missing(false)])), ['obs2', 'obs3', 'obs4']);
  });

  it('composite: all components within one tuple; code-value-quantity and component-code-value-quantity kept apart', async () => {
    const search = (param: string, code: string, value: string) =>
      ids('Observation', p(param, 'composite', [composite(tok(code, LOINC), qty('eq', value, UCUM, 'mm[Hg]'))]));
    assert.deepEqual(await search('code-value-quantity', '8480-6', '140'), ['obs3']);
    assert.deepEqual(await search('code-value-quantity', '8480-6', '120'), [], '120 is a component value of obs1');
    assert.deepEqual(await search('component-code-value-quantity', '8480-6', '120'), ['obs1']);
    assert.deepEqual(await search('component-code-value-quantity', '8480-6', '80'), [], '80 belongs to the 8462-4 component');
    assert.deepEqual(await search('component-code-value-quantity', '8462-4', '80'), ['obs1']);
    const prefixed = composite(tok('8480-6', LOINC), qty('gt', '100', UCUM, 'mm[Hg]'));
    assert.deepEqual(await ids('Observation', p('combo-code-value-quantity', 'composite', [prefixed])), ['obs1', 'obs3']);
  });

  it('chains of one, two and three links; a deleted target no longer matches', async () => {
    const gender = p('gender', 'token', [tok('male')]);
    assert.deepEqual(await ids('Observation', chain('subject', ['Patient'], gender)), ['obs3', 'obs4']);
    const orgName = (name: string) => p('name', 'string', [str(name)]);
    const twoLinks = chain('subject', ['Patient'], chain('organization', ['Organization'], orgName('karolinska')));
    assert.deepEqual(await ids('Observation', twoLinks), ['obs1', 'obs2']);
    const threeLinks = chain('subject', ['Patient'], chain('organization', ['Organization'], chain('partof', ['Organization'], orgName('region'))));
    assert.deepEqual(await ids('Observation', threeLinks), ['obs1', 'obs2']);
    assert.deepEqual(await ids('RiskAssessment', chain('subject', ['Patient', 'Group'], gender)), ['ra2']);
    await remove('Organization', 'o3');
    assert.deepEqual(await ids('Observation', threeLinks), []);
  });

  it('_has, nested; a deleted source no longer counts', async () => {
    const weight = p('code', 'token', [tok('29463-7', LOINC)]);
    assert.deepEqual(await ids('Patient', has('Observation', 'subject', weight)), ['p1', 'p2']);
    const systolic = has('Observation', 'subject', p('code', 'token', [tok('8480-6')]));
    assert.deepEqual(await ids('Organization', has('Patient', 'organization', systolic)), ['o2']);
    assert.deepEqual(await ids('Patient', has('Observation', 'subject', chain('subject', ['Patient'], p('gender', 'token', [tok('female')])))), ['p1']);
    await remove('Observation', 'obs4');
    assert.deepEqual(await ids('Patient', has('Observation', 'subject', weight)), ['p1']);
  });

  it('an update replaces the index entries and a delete removes them', async () => {
    await put({ resourceType: 'Patient', id: 'p2', gender: 'female', name: [{ family: 'Holm' }] });
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('male')])), []);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female')])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('and')])), []);
    await remove('Patient', 'p1');
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female')])), ['p2']);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [missing(true)])), ['p3'], 'deleted resources never match');
  });

  it('_total: accurate and estimate count all matches, none leaves it out', async () => {
    const observations = query(['Observation'], [], { count: 2 });
    assert.equal((await store.search({ ...observations, total: 'accurate' })).total, 6);
    assert.equal((await store.search({ ...observations, total: 'estimate' })).total, 6);
    assert.equal((await store.search({ ...observations, total: 'none' })).total, undefined);
    assert.equal((await store.search({ ...observations, count: 0 })).total, 6);
    assert.equal((await store.search({ ...observations, count: 10, total: 'accurate' })).total, 6);
  });

  it('readMany: current versions only, each once', async () => {
    await remove('Patient', 'p3');
    const found = await store.readMany([
      { type: 'Patient', id: 'p1' }, { type: 'Patient', id: 'p3' }, { type: 'Patient', id: 'nope' },
      { type: 'Organization', id: 'o1' }, { type: 'Patient', id: 'p1' },
    ]);
    assert.deepEqual(found.map((v) => `${v.type}/${v.id}`).sort(), ['Organization/o1', 'Patient/p1']);
    assert.equal((found.find((v) => v.id === 'p1')!.resource as { gender: string }).gender, 'female');
  });

  it('_list: the items of a current List', async () => {
    await put({ resourceType: 'List', id: 'l1', status: 'current', mode: 'working', entry: [{ item: { reference: 'Patient/p1' } }, { item: { reference: 'Patient/p3' } }, { item: { reference: 'Observation/obs1' } }] });
    const list = (id: string) => p('_list', 'special', [{ kind: 'id', value: id }]);
    assert.deepEqual(await ids('Patient', list('l1')), ['p1', 'p3']);
    assert.deepEqual(await ids('Observation', list('l1')), ['obs1']);
    assert.deepEqual(await ids('Patient', list('l2')), []);
    await remove('List', 'l1');
    assert.deepEqual(await ids('Patient', list('l1')), []);
  });

  it('refuses unsupported modifiers, unknown sort parameters and foreign cursors', async () => {
    await assert.rejects(store.search(query(['Patient'], [p('gender', 'token', [tok('male')], 'in')])), { category: 'not-supported' });
    await assert.rejects(store.search(query(['Patient'], [], { sort: [{ param: 'nonsense', descending: false }] })), { category: 'invalid' });
    await assert.rejects(store.search(query(['Patient'], [], { cursor: 'garbage' })), { category: 'invalid' });
    const page = await store.search(query(['Patient'], [], { count: 1 }));
    await assert.rejects(store.search(query(['Patient'], [], { cursor: page.next, sort: [{ param: 'birthdate', descending: false }] })), { category: 'invalid' });
  });
});

describe('SQLite store: _sort and keyset paging', () => {
  const FAMILIES = ['Berg', 'Åberg', 'Lind', 'Berg', undefined, 'Holm', 'Lind', 'Ek', undefined, 'Berg', 'Öst', 'Ek'];
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

  beforeEach(async () => {
    clock = NOW;
    store = openStore();
    const patients = Array.from({ length: 24 }, (_, i) => {
      const family = FAMILIES[i % FAMILIES.length];
      const birthDate = i % 5 === 3 ? undefined : `19${50 + ((i * 7) % 40)}-0${1 + (i % 9)}-1${i % 10}`;
      return { resourceType: 'Patient', id: `s${String(i).padStart(2, '0')}`, gender: ['male', 'female', 'other'][i % 3], birthDate, ...(family && { name: [{ family }] }) };
    });
    await put(...patients);
  });
  afterEach(async () => store.close());

  /** Every page of a search, following `next`, optionally doing something between pages. */
  async function allPages(q: SearchQuery, between?: (page: number) => Promise<void>): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await store.search({ ...q, cursor });
      out.push(...result.entries.map((e) => e.id));
      if (!result.next) return out;
      cursor = result.next;
      await between?.(page);
    }
    throw new Error('paging did not end');
  }

  /** The expected order, computed in JS from the stored resources: missing values last, then rid (= insert order). */
  async function expected(sort: SortKey[]): Promise<string[]> {
    const rows = (await store.search(query(['Patient'], []))).entries.map((e, rid) => ({ rid, r: e.resource as unknown as Record<string, any> }));
    const value = (r: Record<string, any>, param: string): string | undefined =>
      param === 'family' ? r.name && fold(r.name[0].family) : param === 'gender' ? r.gender : param === 'birthdate' ? r.birthDate && instantRange(r.birthDate)!.low : r.id;
    rows.sort((a, b) => {
      for (const k of sort) {
        const [x, y] = [value(a.r, k.param), value(b.r, k.param)];
        if (x === y) continue;
        if (x === undefined) return 1;
        if (y === undefined) return -1;
        return (x < y ? -1 : 1) * (k.descending ? -1 : 1);
      }
      return a.rid - b.rid;
    });
    return rows.map((row) => row.r.id as string);
  }

  for (const sort of [
    [{ param: 'family', descending: false }, { param: 'birthdate', descending: true }],
    [{ param: 'family', descending: true }, { param: 'birthdate', descending: false }],
    [{ param: 'gender', descending: false }, { param: 'family', descending: true }, { param: '_id', descending: true }],
    [{ param: 'birthdate', descending: true }],
  ]) {
    const name = sort.map((k) => `${k.descending ? '-' : ''}${k.param}`).join(',');
    it(`_sort=${name}: every page in order, none missing or repeated, missing values last`, async () => {
      const want = await expected(sort);
      for (const count of [1, 4, 7]) assert.deepEqual(await allPages(query(['Patient'], [], { sort, count })), want, `_count=${count}`);
    });
  }

  it('default order is rid, paged without gaps', async () => {
    const all = await allPages(query(['Patient'], [], { count: 5 }));
    assert.deepEqual(all, [...all].sort());
    assert.equal(all.length, 24);
  });

  it('sorts by token, date, number, quantity, uri and reference values', async () => {
    await put(
      { resourceType: 'RiskAssessment', id: 'r1', status: 'final', subject: { reference: 'Patient/s05' }, prediction: [{ probabilityDecimal: 0.5 }] },
      { resourceType: 'RiskAssessment', id: 'r2', status: 'final', subject: { reference: 'Patient/s01' }, prediction: [{ probabilityDecimal: 0.1 }, { probabilityDecimal: 0.9 }] },
      { resourceType: 'RiskAssessment', id: 'r3', status: 'final', subject: { reference: 'Patient/s03' } },
      { resourceType: 'Observation', id: 'w1', status: 'final', code: coding('29463-7'), valueQuantity: quantity(80, 'kg') },
      { resourceType: 'Observation', id: 'w2', status: 'final', code: coding('29463-7'), valueQuantity: quantity(60, 'kg') },
      { resourceType: 'ValueSet', id: 'v1', status: 'active', url: 'http://b.org' },
      { resourceType: 'ValueSet', id: 'v2', status: 'active', url: 'http://a.org' },
    );
    const order = async (type: string, param: string, descending: boolean) =>
      (await store.search(query([type], [], { sort: [{ param, descending }] }))).entries.map((e) => e.id);
    assert.deepEqual(await order('RiskAssessment', 'probability', false), ['r2', 'r1', 'r3'], 'least value ascending');
    assert.deepEqual(await order('RiskAssessment', 'probability', true), ['r2', 'r1', 'r3'], 'greatest value descending');
    assert.deepEqual(await order('RiskAssessment', 'subject', false), ['r2', 'r3', 'r1']);
    assert.deepEqual(await order('Observation', 'value-quantity', false), ['w2', 'w1']);
    assert.deepEqual(await order('ValueSet', 'url', true), ['v1', 'v2']);
    assert.deepEqual(await order('ValueSet', 'status', false), ['v1', 'v2']);
  });

  it('an unfiltered sort by one parameter, walked along its index, pages exactly like the general form', async () => {
    await put(
      { resourceType: 'Patient', id: 'm1', name: [{ family: 'Berg', given: ['Ylva', 'Anna'] }], birthDate: '1960-01-01', gender: 'female' },
      { resourceType: 'Patient', id: 'm2', name: [{ family: 'Zorn', given: ['Anna'] }, { family: 'Aalto' }], birthDate: '1960-01-01' },
      { resourceType: 'Patient', id: 'm3', name: [{ given: ['Bo'] }], birthDate: '1960' },
    );
    await remove('Patient', 's04');
    // A filter that every patient passes makes the store compute each sort value (the general form).
    const everyone = p('_lastUpdated', 'date', [date('ge', '2000')]);
    for (const param of ['family', 'given', 'name', 'birthdate', 'gender']) {
      for (const descending of [false, true]) {
        const sort = [{ param, descending }];
        const want = await allPages(query(['Patient'], [everyone], { sort, count: 100 }));
        assert.equal(want.length, 26);
        for (const count of [1, 3, 5]) {
          assert.deepEqual(await allPages(query(['Patient'], [], { sort, count })), want, `${descending ? '-' : ''}${param}, _count=${count}`);
        }
      }
    }
  });

  it('a single-filter search pages from the index: every match once, in rid order, across pages', async () => {
    const identifier = (value: string) => ({ system: PNR, value });
    await put(
      { resourceType: 'Patient', id: 'd1', identifier: [identifier('dup'), identifier('dup')] },
      { resourceType: 'Patient', id: 'd2', identifier: [identifier('dup')] },
      { resourceType: 'Patient', id: 'd3', identifier: [identifier('other')] },
      { resourceType: 'Patient', id: 'd4', identifier: [identifier('dup'), identifier('x'), identifier('dup')] },
      { resourceType: 'Patient', id: 'd5', identifier: [identifier('dup')] },
    );
    await remove('Patient', 'd5');
    const filter = p('identifier', 'token', [tok('dup', PNR)]);
    for (const count of [1, 2, 10]) assert.deepEqual(await allPages(query(['Patient'], [filter], { count })), ['d1', 'd2', 'd4'], `_count=${count}`);
  });

  it('paging stays stable while resources are written between pages', async () => {
    const sort = [{ param: 'family', descending: false }, { param: 'birthdate', descending: true }];
    const before = await expected(sort);
    const changed = new Set<string>();
    const seen = await allPages(query(['Patient'], [], { sort, count: 3 }), async (page) => {
      // New resources sorting before and after the cursor, an update that moves a row, a delete.
      await put({ resourceType: 'Patient', id: `a${page}`, name: [{ family: 'Aaa' }] }, { resourceType: 'Patient', id: `z${page}`, name: [{ family: 'Zzz' }] });
      const moved = before[(page * 5 + 2) % before.length];
      const gone = before[(page * 7 + 11) % before.length];
      if (!changed.has(moved)) await put({ resourceType: 'Patient', id: moved, name: [{ family: 'Mmm' }] });
      if (!changed.has(gone)) await remove('Patient', gone);
      changed.add(moved).add(gone);
    });
    const unchanged = before.filter((i) => !changed.has(i));
    for (const id of unchanged) assert.equal(seen.filter((s) => s === id).length, 1, `${id} was not changed: seen exactly once`);
    for (const id of seen.filter((s) => /^[az]/.test(s))) assert.equal(seen.filter((s) => s === id).length, 1, `${id} is new: seen at most once`);
    assert.ok(seen.includes('z0') && !seen.includes('a0'), 'rows written after the cursor are found, before it are not');
  });
});

describe('SQLite store: index tables of an older schema', () => {
  it('are rebuilt from the stored resources when the file is opened', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'region-fhir-reindex-'));
    const file = path.join(dir, 'fhir.db');
    try {
      store = openStore(file);
      await put({ resourceType: 'Patient', id: 'p1', gender: 'female' }, { resourceType: 'Patient', id: 'p2', gender: 'male' });
      await remove('Patient', 'p2');
      await store.close();
      const raw = new Database(file);
      raw.exec('DELETE FROM idx_token');
      raw.pragma('user_version = 1');
      raw.close();
      store = openStore(file);
      assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female')])), ['p1']);
      assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('male')])), []);
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
