import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/search.html#include and #all (system search)
describe('REST: _include, _revinclude and system search', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer();
    const put = (path: string, body: unknown) => s.http.put(path).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    await put('/fhir/Organization/org1', { resourceType: 'Organization', id: 'org1', name: 'Hallands sjukhus' });
    await put('/fhir/Patient/p1', patient({ id: 'p1', managingOrganization: { reference: 'Organization/org1' } }));
    await put('/fhir/Patient/p2', patient({ id: 'p2', gender: 'male' }));
    for (const [id, subject] of [['o1', 'p1'], ['o2', 'p1'], ['o3', 'p2']]) {
      await put(`/fhir/Observation/${id}`, { resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${subject}` } });
    }
  });
  after(async () => s.close());

  const byMode = (res: { body: { entry?: Array<{ resource: { resourceType: string; id: string }; search: { mode: string } }> } }, mode: string) =>
    (res.body.entry ?? []).filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();

  it('_include adds each referenced resource once, marked include', async () => {
    const res = await s.http.get('/fhir/Observation?code=8867-4&_include=Observation:subject');
    assert.equal(res.status, 200);
    assert.deepEqual(byMode(res, 'match'), ['Observation/o1', 'Observation/o2', 'Observation/o3']);
    assert.deepEqual(byMode(res, 'include'), ['Patient/p1', 'Patient/p2']);
  });

  it('_include:iterate follows references of included resources', async () => {
    const res = await s.http.get('/fhir/Observation?_id=o1&_include=Observation:subject&_include:iterate=Patient:organization');
    assert.deepEqual(byMode(res, 'include'), ['Organization/org1', 'Patient/p1']);
    const plain = await s.http.get('/fhir/Observation?_id=o1&_include=Observation:subject&_include=Patient:organization');
    assert.equal(plain.status, 400, 'a plain _include must start from a searched type');
  });

  it('_revinclude adds the resources that refer to the matches', async () => {
    const res = await s.http.get('/fhir/Patient?_id=p1&_revinclude=Observation:subject');
    assert.deepEqual(byMode(res, 'match'), ['Patient/p1']);
    assert.deepEqual(byMode(res, 'include'), ['Observation/o1', 'Observation/o2']);
  });

  it('system search over every type, and narrowed with _type', async () => {
    const all = await s.http.get('/fhir?_id=p1,o3,org1');
    assert.equal(all.status, 200);
    assert.deepEqual(byMode(all, 'match'), ['Observation/o3', 'Organization/org1', 'Patient/p1']);
    const narrowed = await s.http.get('/fhir?_type=Patient,Organization&_id=p1,o3,org1');
    assert.deepEqual(byMode(narrowed, 'match'), ['Organization/org1', 'Patient/p1']);
    const post = await s.http.post('/fhir/_search').set('Content-Type', 'application/x-www-form-urlencoded').send('_type=Observation&_id=o3');
    assert.deepEqual(byMode(post, 'match'), ['Observation/o3']);
  });
});
