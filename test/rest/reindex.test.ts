import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

const MUNICIPALITY = 'https://fhir.region.se/StructureDefinition/municipality-code';

/** A custom parameter of the kind a region adds: the municipality code carried on a Patient's address. */
const municipalityParameter = {
  resourceType: 'SearchParameter',
  id: 'patient-municipality',
  url: 'https://fhir.region.se/SearchParameter/patient-municipality',
  name: 'municipality',
  status: 'active',
  description: 'Municipality code of the address',
  code: 'municipality',
  base: ['Patient'],
  type: 'token',
  expression: `Patient.address.extension.where(url = '${MUNICIPALITY}').value`,
};

function living(id: string, municipality: string): Record<string, unknown> {
  return patient({ id, address: [{ city: 'Halmstad', extension: [{ url: MUNICIPALITY, valueCoding: { system: 'urn:oid:1.2.752.129.2.2.1.18', code: municipality } }] }] });
}

type Entry = { resource: { resourceType: string; id: string }; search?: { mode: string } };
const ids = (res: { body: { entry?: Entry[] } }) => (res.body.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource.id).sort();

describe('REST: custom SearchParameters and $reindex', () => {
  let s: TestServer;
  const put = (p: string, body: unknown) => s.http.put(p).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

  beforeEach(async () => {
    s = await testServer();
    await put('/fhir/Patient/halmstad', living('halmstad', '1380'));
    await put('/fhir/Patient/varberg', living('varberg', '1383'));
    await put('/fhir/Patient/nowhere', patient({ id: 'nowhere' }));
  });
  afterEach(async () => s.close());

  it('a stored SearchParameter is only data until $reindex; then it searches, sorts and chains', async () => {
    await put(`/fhir/SearchParameter/${municipalityParameter.id}`, municipalityParameter).expect(201);
    const strictBefore = await s.http.get('/fhir/Patient?municipality=1380').set('Prefer', 'handling=strict');
    assert.equal(strictBefore.status, 400, 'unknown before reindex');

    const res = await s.http.post('/fhir/Patient/$reindex').expect(200);
    const params = res.body.parameter as Array<{ name: string; valueInteger?: number; valueString?: string }>;
    assert.equal(params.find((p) => p.name === 'resources')?.valueInteger, 3);
    assert.deepEqual(params.filter((p) => p.name === 'activated').map((p) => p.valueString), ['Patient.municipality (SearchParameter/patient-municipality)']);

    assert.deepEqual(ids(await s.http.get('/fhir/Patient?municipality=1380').expect(200)), ['halmstad']);
    assert.deepEqual(ids(await s.http.get('/fhir/Patient?municipality=urn:oid:1.2.752.129.2.2.1.18|1383')), ['varberg']);
    assert.deepEqual(ids(await s.http.get('/fhir/Patient?municipality:missing=true')), ['nowhere']);
    const sorted = await s.http.get('/fhir/Patient?_sort=-municipality');
    assert.deepEqual(sorted.body.entry.map((e: Entry) => e.resource.id), ['varberg', 'halmstad', 'nowhere']);

    // Written after activation: indexed at write time like any other parameter.
    await put('/fhir/Patient/later', living('later', '1380'));
    await put('/fhir/Observation/o1', { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/later' } });
    assert.deepEqual(ids(await s.http.get('/fhir/Patient?municipality=1380')), ['halmstad', 'later']);
    assert.deepEqual(ids(await s.http.get('/fhir/Observation?subject:Patient.municipality=1380')), ['o1']);
    assert.deepEqual(ids(await s.http.get('/fhir/Patient?_has:Observation:subject:code:text=x&municipality=1380')), ['later']);

    const cs = await s.http.get('/fhir/metadata').expect(200);
    const patientCs = cs.body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    assert.ok(patientCs.searchParam.some((p: { name: string; type: string }) => p.name === 'municipality' && p.type === 'token'), 'listed in /metadata');
    assert.ok(cs.body.rest[0].operation.some((o: { name: string }) => o.name === 'reindex'));
  });

  it('reports parameters it cannot activate and activates the rest', async () => {
    await put(`/fhir/SearchParameter/${municipalityParameter.id}`, municipalityParameter).expect(201);
    const broken = { ...municipalityParameter, id: 'broken', url: 'https://fhir.region.se/SearchParameter/broken', code: 'broken', expression: 'Patient.name.where(' };
    const badCode = { ...municipalityParameter, id: 'bad-code', url: 'https://fhir.region.se/SearchParameter/bad-code', code: 'a.b' };
    const clash = { ...municipalityParameter, id: 'zz-clash', url: 'https://fhir.region.se/SearchParameter/zz-clash' };
    const draft = { ...municipalityParameter, id: 'draft', url: 'https://fhir.region.se/SearchParameter/draft', code: 'draft', status: 'draft' };
    for (const sp of [broken, badCode, clash, draft]) await put(`/fhir/SearchParameter/${sp.id}`, sp).expect(201);

    const res = await s.http.post('/fhir/$reindex').expect(200);
    const outcome = res.body.parameter.find((p: { name: string }) => p.name === 'outcome').resource;
    const warned = outcome.issue.filter((i: { severity: string }) => i.severity === 'warning').map((i: { expression: string[] }) => i.expression[0]).sort();
    assert.deepEqual(warned, ['SearchParameter/bad-code', 'SearchParameter/broken', 'SearchParameter/zz-clash']);
    assert.deepEqual(ids(await s.http.get('/fhir/Patient?municipality=1383')), ['varberg']);
    assert.equal((await s.http.get('/fhir/Patient?broken=x').set('Prefer', 'handling=strict')).status, 400);
    assert.equal((await s.http.get('/fhir/Patient?draft=1380').set('Prefer', 'handling=strict')).status, 400, 'draft is not activated');
  });

  it('a deleted SearchParameter stops being searchable at the next $reindex', async () => {
    await put(`/fhir/SearchParameter/${municipalityParameter.id}`, municipalityParameter).expect(201);
    await s.http.post('/fhir/$reindex').expect(200);
    assert.deepEqual(ids(await s.http.get('/fhir/Patient?municipality=1380')), ['halmstad']);
    await s.http.delete(`/fhir/SearchParameter/${municipalityParameter.id}`).expect(200);
    await s.http.post('/fhir/$reindex').expect(200);
    const res = await s.http.get('/fhir/Patient?municipality=1380').set('Prefer', 'handling=strict');
    assert.equal(res.status, 400);
  });

  it('is a POST: GET answers 405', async () => {
    const res = await s.http.get('/fhir/$reindex');
    assert.equal(res.status, 405);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  });

  it('keeps answering and loses no write while it rebuilds many resources', async () => {
    for (let i = 0; i < 1200; i += 100) {
      const entry = Array.from({ length: 100 }, (_, k) => ({
        resource: living(`bulk${i + k}`, (i + k) % 2 === 0 ? '1380' : '1315'),
        request: { method: 'PUT', url: `Patient/bulk${i + k}` },
      }));
      await s.http.post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry })).expect(200);
    }
    await put(`/fhir/SearchParameter/${municipalityParameter.id}`, municipalityParameter).expect(201);
    const reindex = s.http.post('/fhir/Patient/$reindex').then((r) => r);
    // Writes and reads while batches run: moves between municipalities must be reflected once it is done.
    const during = [];
    for (let i = 0; i < 20; i++) {
      during.push(put(`/fhir/Patient/bulk${i}`, living(`bulk${i}`, '1384')));
      during.push(s.http.get('/fhir/Patient?_count=1'));
    }
    const answers = await Promise.all(during);
    assert.ok(answers.every((r) => r.status < 300));
    const res = await reindex;
    assert.equal(res.status, 200);
    const count = async (code: string) => (await s.http.get(`/fhir/Patient?municipality=${code}&_summary=count`)).body.total;
    assert.equal(await count('1384'), 20);
    assert.equal(await count('1380'), 601 - 10, 'halmstad plus the even bulk ones that did not move');
    assert.equal(await count('1315'), 600 - 10);
  });

  it('keeps the activated parameters across a restart (SQLite file)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'region-fhir-reindex-'));
    const storeUrl = `sqlite:${path.join(dir, 'fhir.db')}`;
    try {
      const first = await testServer({ storeUrl });
      await first.http.put('/fhir/Patient/p1').set('Content-Type', FHIR_JSON).send(JSON.stringify(living('p1', '1381'))).expect(201);
      await first.http.put(`/fhir/SearchParameter/${municipalityParameter.id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(municipalityParameter)).expect(201);
      await first.http.post('/fhir/$reindex').expect(200);
      await first.close();
      const second = await testServer({ storeUrl });
      try {
        assert.deepEqual(ids(await second.http.get('/fhir/Patient?municipality=1381').set('Prefer', 'handling=strict').expect(200)), ['p1']);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
