import { instantRange } from '../../src/fhir/instants';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MongoClient, type Collection, type Db } from 'mongodb';
import type { FhirResource } from 'fhir/r4';
import { IndexExtractor } from '../../src/search/extract';
import type { Filter, FilterValue, ParamType, Prefix, ReferenceValue, SearchQuery, SortKey } from '../../src/search/model';
import { SearchParameters } from '../../src/search/parameters';
import type { ResourceDoc } from '../../src/store/mongo/documents';
import { indexFields } from '../../src/store/mongo/search-fields';
import { ensureSearchIndexes, SEARCH_INDEXES } from '../../src/store/mongo/search-indexes';
import { key, keyParts, sortableNumber } from '../../src/store/mongo/search-keys';
import { search } from '../../src/store/mongo/search-query';
import { MAX_STAGE_KEYS } from '../../src/store/mongo/search-stages';
import {
  NOW, LOINC, UCUM, PNR, V2_0203, tok, str, uri, ref, missing, date, num, qty, composite, p, chain, has, precision, query, quantity, coding, seedSearchData,
} from '../support/search-fixtures';

/**
 * The MongoDB store's search compiler (src/store/mongo/search-*.ts) against a MongoDB-wire server named by
 * MONGODB_URL (a FerretDB v1 instance in CI): documents are written here as the store writes them, with `ix` from
 * the real IndexExtractor, and searched with hand-built SearchQuery objects. Every parameter type, modifier and
 * prefix, composites, chains, _has, compartments, _sort with keyset paging, _total, and request values that look
 * like operators or field paths. https://hl7.org/fhir/R4/search.html
 */

const SERVER = process.env.MONGODB_URL;

const extractor = new IndexExtractor();
let client: MongoClient;
let db: Db;
let resources: Collection<ResourceDoc>;
let nextRid = 1;
let clock = NOW;


function run(q: SearchQuery) {
  return search(resources, q, { now: clock, parameters: SearchParameters.official() });
}

/** Ids of the matches, sorted, so assertions do not depend on order. */
async function ids(type: string, ...filters: Filter[]): Promise<string[]> {
  const page = await run(query([type], filters));
  return page.entries.map((e) => e.id).sort();
}

/** Writes resources as the store does: the current version with its search fields, a rid kept across updates. */
async function put(...list: Array<Record<string, unknown>>): Promise<void> {
  for (const r of list) {
    const type = r.resourceType as string;
    const id = r.id as string;
    const before = await resources.findOne({ _id: `${type}/${id}` });
    const versionId = (before?.versionId ?? 0) + 1;
    const lastUpdated = new Date(clock).toISOString();
    const resource = { ...r, meta: { versionId: String(versionId), lastUpdated } } as unknown as FhirResource;
    const doc: ResourceDoc = {
      _id: `${type}/${id}`, type, id, versionId, lastUpdated, deleted: false, json: JSON.stringify(resource),
      rid: before?.rid ?? nextRid++, pc: `${type}/${id}`, ix: indexFields(extractor.extract(resource)),
    };
    await resources.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }
}

async function remove(type: string, id: string): Promise<void> {
  await resources.updateOne({ _id: `${type}/${id}` }, { $set: { deleted: true, json: null }, $unset: { ix: '' }, $inc: { versionId: 1 } });
}


async function seed(): Promise<void> {
  await seedSearchData(put);
}

/** A fresh, empty collection with the search indexes, on the database of this run. */
async function freshCollection(): Promise<void> {
  clock = NOW;
  nextRid = 1;
  resources = db.collection<ResourceDoc>(`resources_${randomBytes(4).toString('hex')}`);
  await ensureSearchIndexes(resources);
}

describe('MongoDB store: search keys (no server needed)', () => {
  it('numbers as hex strings in numeric order', () => {
    const values = [-1e300, -2.5, -1, -0.001, 0, 1e-9, 0.25, 1, 2, 10, 99.5, 1e300];
    const keys = values.map(sortableNumber);
    assert.deepEqual([...keys].sort(), keys);
    assert.equal(sortableNumber(-0), sortableNumber(0));
  });

  it('keys decode into exactly their parts, separators in values escaped', () => {
    const parts = ['code', 'a\u0001b', '\u0002', 'plain'];
    assert.deepEqual(keyParts(key(parts[0], ...parts.slice(1))), parts);
    assert.notEqual(key('p', 'a\u0001', 'b'), key('p', 'a', '\u0001b'));
  });

  it('field names never come from values: sort keys of odd parameter codes stay one path segment', () => {
    const ix = indexFields({ strings: [{ param: 'a.b$c', value: 'x', exact: 'x' }], tokens: [], dates: [], numbers: [], quantities: [], uris: [], references: [] });
    const names = Object.keys(ix.o as Record<string, unknown>);
    assert.equal(names.length, 1);
    assert.doesNotMatch(names[0], /[.$]/);
  });
});

describe('MongoDB store: search (https://hl7.org/fhir/R4/search.html)', function () {
  this.timeout(30_000);

  before(async function () {
    if (!SERVER) {
      console.log('      (skipped: set MONGODB_URL to a MongoDB or FerretDB server to run the MongoDB search tests)');
      this.skip();
    }
    client = new MongoClient(SERVER, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db(`search_${process.pid}_${randomBytes(4).toString('hex')}`);
  });
  after(async () => {
    if (!db) return;
    await db.dropDatabase();
    await client.close();
  });

  beforeEach(async () => {
    await freshCollection();
    await seed();
  });

  it('token: system|code, |code, system|, code, several values, :not, :text, :of-type', async () => {
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female')])), ['p1']);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female'), tok('male')])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('197005141234', PNR)])), ['p1']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('197005141234', '')])), []);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok(undefined, PNR)])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok(undefined, 'urn:oid:1.2')])), [], 'system| is the whole system');
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('198501015678')])), ['p2']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('19850101')])), [], 'a code is not a prefix');
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('male')], 'not')), ['p1', 'p3'], ':not keeps resources without the parameter');
    assert.deepEqual(await ids('Observation', p('code', 'token', [str('blood PRESS')], 'text')), ['obs1']);
    assert.deepEqual(await ids('Observation', p('code', 'token', [tok(LOINC + '|8480-6')])), [], 'a code with a bar is one code');
    const ofType = composite(tok('MR', V2_0203), tok('197005141234'));
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [ofType], 'of-type')), ['p1']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [composite(tok('MR'), tok('197005141234'))], 'of-type')), ['p1']);
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
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('.*')], 'contains')), [], 'regular expression syntax is literal');
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('ber'), str('kar')])), ['p1', 'p3']);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('')])), ['p1', 'p2', 'p3'], 'empty prefix: any value');
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
    assert.deepEqual(await birth('ap', '1988'), ['p2', 'p3'], '±10% of the distance to now (2025): about [1984.3, 1992.6]');
    const effective = async (prefix: Prefix, text: string) => ids('Observation', p('date', 'date', [date(prefix, text)]));
    assert.deepEqual(await effective('eq', '2024-01'), ['obs2'], 'the period lies within January');
    assert.deepEqual(await effective('eq', '2024-01-15'), [], 'the period is not within one day');
    assert.deepEqual(await effective('ge', '2024-01-15'), ['obs1', 'obs2'], 'the period reaches past the day');
    assert.deepEqual(await effective('lt', '2024-01-15'), ['obs2', 'obs3', 'obs4']);
  });

  it('date: both ends of one range, never the start of one and the end of another', async () => {
    // Two periods; neither lies within 2020-06, but the first starts in it and the second ends in it.
    await put({
      resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' },
      period: { start: '2020-06-10', end: '2020-09-01' },
      location: [{ location: { reference: 'Location/l1' }, period: { start: '2020-01-01', end: '2020-06-20' } }],
    });
    await put({ resourceType: 'Encounter', id: 'e2', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-06-10', end: '2020-06-12' } });
    assert.deepEqual(await ids('Encounter', p('date', 'date', [date('eq', '2020-06')])), ['e2']);
    assert.deepEqual(await ids('Encounter', p('date', 'date', [date('eq', '2020')])), ['e1', 'e2']);
  });

  it('_id and _lastUpdated read the document fields', async () => {
    clock = Date.parse('2025-03-01T12:00:00.000Z');
    await put({ resourceType: 'Patient', id: 'late', gender: 'other' });
    assert.deepEqual(await ids('Patient', p('_id', 'token', [{ kind: 'id', value: 'p2' }, { kind: 'id', value: 'late' }])), ['late', 'p2']);
    assert.deepEqual(await ids('Patient', p('_id', 'token', [{ kind: 'id', value: 'p2' }], 'not')), ['late', 'p1', 'p3']);
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
    assert.deepEqual(await prob('gt', '-5'), ['ra1', 'ra2'], 'negative bounds');
  });

  it('number: one prediction inside a range, never one above the low bound and another below the high one', async () => {
    await put({ resourceType: 'RiskAssessment', id: 'ra3', status: 'final', prediction: [{ probabilityDecimal: 0.1 }, { probabilityDecimal: 0.9 }] });
    assert.deepEqual(await ids('RiskAssessment', p('probability', 'number', [num('eq', '0.5')])), []);
    assert.deepEqual(await ids('RiskAssessment', p('probability', 'number', [num('eq', '0.9')])), ['ra3']);
  });

  it('quantity: value with system|code, code alone also matching the unit, system alone', async () => {
    const value = async (v: FilterValue) => ids('Observation', p('value-quantity', 'quantity', [v]));
    assert.deepEqual(await value(qty('eq', '72.5', UCUM, 'kg')), ['obs2']);
    assert.deepEqual(await value(qty('eq', '72.5', undefined, 'kg')), ['obs2']);
    assert.deepEqual(await value(qty('eq', '90', undefined, 'kg')), ['obs4'], 'no system: the unit as written');
    assert.deepEqual(await value(qty('eq', '72.5', 'http://other.org', 'kg')), []);
    assert.deepEqual(await value(qty('gt', '100')), ['obs3']);
    assert.deepEqual(await value(qty('lt', '100', UCUM, 'kg')), ['obs2']);
    assert.deepEqual(await value(qty('ne', '140', UCUM, 'mm[Hg]')), []);
    assert.deepEqual(await value(qty('gt', '50', UCUM)), ['obs2', 'obs3']);
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
    assert.deepEqual(await ids('Observation', p('subject', 'reference', [tok('197005141234')], 'identifier')), ['obs5']);
    const questionnaire = async (v: ReferenceValue) => ids('QuestionnaireResponse', p('questionnaire', 'reference', [ref(v)]));
    assert.deepEqual(await questionnaire({ url: 'http://acme.org/Questionnaire/q1' }), ['qr1']);
    assert.deepEqual(await questionnaire({ url: 'http://acme.org/Questionnaire/q1', version: '2.0' }), ['qr1']);
    assert.deepEqual(await questionnaire({ url: 'http://acme.org/Questionnaire/q1', version: '3.0' }), []);
    assert.deepEqual(await questionnaire({ url: 'http://acme.org/Questionnaire/q' }), [], 'a URL is not a prefix');
  });

  it(':missing both ways, on token, string, date, reference and composite', async () => {
    assert.deepEqual(await ids('Patient', p('gender', 'token', [missing(true)])), ['p3']);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [missing(false)])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('given', 'string', [missing(true)])), ['p3']);
    assert.deepEqual(await ids('Observation', p('date', 'date', [missing(true)])), ['obs5', 'obs6']);
    assert.deepEqual(await ids('Patient', p('general-practitioner', 'reference', [missing(false)])), ['p1']);
    assert.deepEqual(await ids('Observation', p('code-value-quantity', 'composite', [missing(false)])), ['obs2', 'obs3', 'obs4']);
  });

  it('composite: all components within one tuple; code-value-quantity and component-code-value-quantity kept apart', async () => {
    const find = (param: string, code: string, value: string) =>
      ids('Observation', p(param, 'composite', [composite(tok(code, LOINC), qty('eq', value, UCUM, 'mm[Hg]'))]));
    assert.deepEqual(await find('code-value-quantity', '8480-6', '140'), ['obs3']);
    assert.deepEqual(await find('code-value-quantity', '8480-6', '120'), [], '120 is a component value of obs1');
    assert.deepEqual(await find('component-code-value-quantity', '8480-6', '120'), ['obs1']);
    assert.deepEqual(await find('component-code-value-quantity', '8480-6', '80'), [], '80 belongs to the 8462-4 component');
    assert.deepEqual(await find('component-code-value-quantity', '8462-4', '80'), ['obs1']);
    const prefixed = composite(tok('8480-6', LOINC), qty('gt', '100', UCUM, 'mm[Hg]'));
    assert.deepEqual(await ids('Observation', p('combo-code-value-quantity', 'composite', [prefixed])), ['obs1', 'obs3']);
    const below = composite(tok('8480-6'), qty('lt', '100'));
    assert.deepEqual(await ids('Observation', p('component-code-value-quantity', 'composite', [below])), [], 'the diastolic 80 is not systolic');
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
    assert.deepEqual(await ids('Observation', chain('subject', ['Patient'], p('birthdate', 'date', [date('eq', '1970')]))), ['obs1', 'obs2'], 'a verified inner filter');
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

  it('compartment: members by their compartment parameters, and the owner', async () => {
    const compartment: Filter = {
      kind: 'compartment', compartmentType: 'Patient', id: 'p1',
      paramsByType: { Observation: ['subject', 'performer'], RiskAssessment: ['subject'], Patient: ['link'] },
    };
    const page = await run(query(['Observation', 'RiskAssessment', 'Patient'], [compartment]));
    assert.deepEqual(page.entries.map((e) => `${e.type}/${e.id}`).sort(), ['Observation/obs1', 'Observation/obs2', 'Patient/p1', 'RiskAssessment/ra1']);
    assert.deepEqual(await ids('Observation', compartment, p('code', 'token', [tok('29463-7')])), ['obs2']);
  });

  it('system search: several types, and none', async () => {
    const page = await run(query(['Patient', 'Organization'], [p('name', 'string', [str('k')])]));
    assert.deepEqual(page.entries.map((e) => `${e.type}/${e.id}`).sort(), ['Organization/o1', 'Patient/p1']);
    const all = await run(query([], [p('_id', 'token', [{ kind: 'id', value: 'p1' }, { kind: 'id', value: 'o1' }])]));
    assert.deepEqual(all.entries.map((e) => `${e.type}/${e.id}`).sort(), ['Organization/o1', 'Patient/p1']);
  });

  it('an update replaces the search fields and a delete removes them', async () => {
    await put({ resourceType: 'Patient', id: 'p2', gender: 'female', name: [{ family: 'Holm' }] });
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('male')])), []);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female')])), ['p1', 'p2']);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('and')])), []);
    await remove('Patient', 'p1');
    assert.deepEqual(await ids('Patient', p('gender', 'token', [tok('female')])), ['p2']);
    assert.deepEqual(await ids('Patient', p('gender', 'token', [missing(true)])), ['p3'], 'deleted resources never match');
  });

  it('_total: accurate and estimate count all matches, none leaves it out; verified matches counted exactly', async () => {
    const observations = query(['Observation'], [], { count: 2 });
    assert.equal((await run({ ...observations, total: 'accurate' })).total, 6);
    assert.equal((await run({ ...observations, total: 'estimate' })).total, 6);
    assert.equal((await run({ ...observations, total: 'none' })).total, undefined);
    assert.equal((await run({ ...observations, count: 0 })).total, 6);
    assert.equal((await run({ ...observations, count: 10, total: 'accurate' })).total, 6);
    const dated = query(['Observation'], [p('date', 'date', [date('ge', '2023-06-15')])], { count: 1, total: 'accurate' });
    const first = await run(dated);
    assert.equal(first.total, 4);
    assert.equal((await run({ ...dated, cursor: first.next })).total, 4);
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
    await assert.rejects(run(query(['Patient'], [p('gender', 'token', [tok('male')], 'in')])), { category: 'not-supported' });
    await assert.rejects(run(query(['Patient'], [], { sort: [{ param: 'nonsense', descending: false }] })), { category: 'invalid' });
    await assert.rejects(run(query(['Patient'], [], { cursor: 'garbage' })), { category: 'invalid' });
    const page = await run(query(['Patient'], [], { count: 1 }));
    await assert.rejects(run(query(['Patient'], [], { cursor: page.next, sort: [{ param: 'birthdate', descending: false }] })), { category: 'invalid' });
  });

  it('request values that look like operators, field paths or patterns are only values', async () => {
    const sneaky = ['{"$ne":null}', '$where', '$ne', 'a.b', '$gt', '.*', '^', '\\', 'p1\u0001x', 'p1\u0000', 'x'.repeat(20_000)];
    await put({ resourceType: 'Patient', id: 'dollar', name: [{ family: '$where' }], identifier: [{ system: 'a.b', value: '{"$ne":null}' }] });
    for (const s of sneaky) {
      assert.deepEqual(await ids('Patient', p('_id', 'token', [{ kind: 'id', value: s }])), [], `_id ${JSON.stringify(s.slice(0, 20))}`);
      assert.deepEqual(await ids('Patient', p('gender', 'token', [tok(s)])), [], `token ${JSON.stringify(s.slice(0, 20))}`);
      assert.deepEqual(await ids('Patient', p('gender', 'token', [tok(undefined, s)])), [], `system ${JSON.stringify(s.slice(0, 20))}`);
      assert.deepEqual(await ids('Observation', p('subject', 'reference', [ref({ id: s })])), [], `reference ${JSON.stringify(s.slice(0, 20))}`);
      assert.deepEqual(await ids('Observation', chain('subject', ['Patient'], p('_id', 'token', [{ kind: 'id', value: s }]))), []);
    }
    assert.deepEqual(await ids('Patient', p('family', 'string', [str('$where')], 'exact')), ['dollar']);
    assert.deepEqual(await ids('Patient', p('family', 'string', [str('$WH')])), ['dollar']);
    assert.deepEqual(await ids('Patient', p('identifier', 'token', [tok('{"$ne":null}', 'a.b')])), ['dollar']);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('x'.repeat(20_000))])), []);
    assert.deepEqual(await ids('Patient', p('name', 'string', [str('x'.repeat(20_000))], 'contains')), []);
    // A value that is not a string (a parser bug, or a forged object) is refused, never used as an operator.
    const forged = { kind: 'token', value: { code: { $ne: null } } } as unknown as FilterValue;
    await assert.rejects(run(query(['Patient'], [p('gender', 'token', [forged])])), { category: 'invalid' });
    const forgedId = { kind: 'id', value: { $gt: '' } } as unknown as FilterValue;
    await assert.rejects(run(query(['Patient'], [p('_id', 'token', [forgedId])])), { category: 'invalid' });
  });

  it('a stage that would collect too many keys fails instead of answering from part of them', () => {
    assert.ok(MAX_STAGE_KEYS >= 10_000, 'the limit leaves room for realistic chains');
  });

  it('creating the indexes again is a no-op', async () => {
    await ensureSearchIndexes(resources);
    const names = (await resources.indexes()).map((i) => i.name);
    for (const index of SEARCH_INDEXES) assert.ok(names.includes(index.name!), `${index.name} exists`);
  });
});

describe('MongoDB store: _sort and keyset paging', function () {
  this.timeout(60_000);
  const FAMILIES = ['Berg', 'Åberg', 'Lind', 'Berg', undefined, 'Holm', 'Lind', 'Ek', undefined, 'Berg', 'Öst', 'Ek'];
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

  before(async function () {
    if (!SERVER) this.skip();
    client = new MongoClient(SERVER, { serverSelectionTimeoutMS: 5000 });
    await client.connect();
    db = client.db(`search_${process.pid}_${randomBytes(4).toString('hex')}`);
  });
  after(async () => {
    if (!SERVER) return;
    await db.dropDatabase();
    await client.close();
  });

  beforeEach(async () => {
    await freshCollection();
    const patients = Array.from({ length: 24 }, (_, i) => {
      const family = FAMILIES[i % FAMILIES.length];
      const birthDate = i % 5 === 3 ? undefined : `19${50 + ((i * 7) % 40)}-0${1 + (i % 9)}-1${i % 10}`;
      return { resourceType: 'Patient', id: `s${String(i).padStart(2, '0')}`, gender: ['male', 'female', 'other'][i % 3], birthDate, ...(family && { name: [{ family }] }) };
    });
    await put(...patients);
  });

  async function allPages(q: SearchQuery, between?: (page: number) => Promise<void>): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await run({ ...q, cursor });
      out.push(...result.entries.map((e) => e.id));
      if (!result.next) return out;
      cursor = result.next;
      await between?.(page);
    }
    throw new Error('paging did not end');
  }

  /** The expected order, computed in JS from the stored resources: missing values last, then rid (= insert order). */
  async function expected(sort: SortKey[]): Promise<string[]> {
    const rows = (await run(query(['Patient'], []))).entries.map((e, rid) => ({ rid, r: e.resource as unknown as Record<string, any> }));
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

  it('default order is rid, paged without gaps, also when matches are verified', async () => {
    const all = await allPages(query(['Patient'], [], { count: 5 }));
    assert.deepEqual(all, [...all].sort());
    assert.equal(all.length, 24);
    const born = p('birthdate', 'date', [date('ge', '1960')]);
    const want = (await run(query(['Patient'], [born]))).entries.map((e) => e.id);
    assert.ok(want.length > 5);
    assert.deepEqual(await allPages(query(['Patient'], [born], { count: 2 })), want);
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
      (await run(query([type], [], { sort: [{ param, descending }] }))).entries.map((e) => e.id);
    assert.deepEqual(await order('RiskAssessment', 'probability', false), ['r2', 'r1', 'r3'], 'least value ascending');
    assert.deepEqual(await order('RiskAssessment', 'probability', true), ['r2', 'r1', 'r3'], 'greatest value descending');
    assert.deepEqual(await order('RiskAssessment', 'subject', false), ['r2', 'r3', 'r1']);
    assert.deepEqual(await order('Observation', 'value-quantity', false), ['w2', 'w1']);
    assert.deepEqual(await order('ValueSet', 'url', true), ['v1', 'v2']);
    assert.deepEqual(await order('ValueSet', 'status', false), ['v1', 'v2']);
  });

  it('paging stays stable while resources are written between pages', async () => {
    const sort = [{ param: 'family', descending: false }, { param: 'birthdate', descending: true }];
    const before = await expected(sort);
    const changed = new Set<string>();
    const seen = await allPages(query(['Patient'], [], { sort, count: 3 }), async (page) => {
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
