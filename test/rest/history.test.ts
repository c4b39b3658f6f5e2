import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/http.html#history
describe('REST: history at instance, type and system level', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer()));
  afterEach(async () => s.close());

  async function writeSome() {
    const put = (id: string, gender: string) =>
      s.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id, gender })));
    await put('h1', 'female');
    await put('h1', 'male');
    await put('h2', 'other');
    await s.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON)
      .send(JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'weight' } }));
    await s.http.delete('/fhir/Patient/h1');
  }

  it('instance history lists every version newest first, deletes included', async () => {
    await writeSome();
    const res = await s.http.get('/fhir/Patient/h1/_history');
    assert.equal(res.status, 200);
    assert.equal(res.body.type, 'history');
    assert.equal(res.body.total, 3);
    const e = res.body.entry;
    assert.deepEqual(e.map((x: { response: { etag: string } }) => x.response.etag), ['W/"3"', 'W/"2"', 'W/"1"']);
    assert.equal(e[0].request.method, 'DELETE');
    assert.equal(e[0].resource, undefined);
    assert.equal(e[1].request.method, 'PUT');
    assert.equal(e[2].request.method, 'POST');
    assert.equal(e[1].resource.gender, 'male');
    assert.equal(e[1].fullUrl, 'http://test.local/fhir/Patient/h1');
    assert.equal((await s.http.get('/fhir/Patient/nobody/_history')).status, 404);
  });

  it('type and system history', async () => {
    await writeSome();
    const type = await s.http.get('/fhir/Patient/_history');
    assert.equal(type.body.entry.length, 4);
    const system = await s.http.get('/fhir/_history');
    assert.equal(system.body.entry.length, 5);
    assert.equal(system.body.entry[1].resource.resourceType, 'Observation');
  });

  it('pages with _count and next links, without gaps while writes continue', async () => {
    await writeSome();
    const first = await s.http.get('/fhir/_history?_count=2');
    assert.equal(first.body.entry.length, 2);
    const next = first.body.link.find((l: { relation: string }) => l.relation === 'next').url.replace('http://test.local', '');
    await s.http.put('/fhir/Patient/h9').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'h9' })));
    const second = await s.http.get(next);
    const third = await s.http.get(second.body.link.find((l: { relation: string }) => l.relation === 'next').url.replace('http://test.local', ''));
    const etags = [...first.body.entry, ...second.body.entry, ...third.body.entry].map((x: { fullUrl: string; response: { etag: string } }) => x.fullUrl + x.response.etag);
    assert.equal(new Set(etags).size, 5);
    assert.equal(third.body.link.find((l: { relation: string }) => l.relation === 'next'), undefined);
  });

  it('_since and _at select by time', async () => {
    await s.http.put('/fhir/Patient/t1').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 't1', gender: 'female' })));
    const mid = (await s.http.get('/fhir/Patient/t1')).body.meta.lastUpdated;
    await new Promise((r) => setTimeout(r, 5));
    await s.http.put('/fhir/Patient/t1').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 't1', gender: 'male' })));
    const since = await s.http.get(`/fhir/Patient/t1/_history?_since=${encodeURIComponent(new Date(Date.parse(mid) + 1).toISOString())}`);
    assert.equal(since.body.entry.length, 1);
    assert.equal(since.body.entry[0].resource.gender, 'male');
    const at = await s.http.get(`/fhir/Patient/_history?_at=${encodeURIComponent(mid)}`);
    assert.equal(at.body.entry.length, 1);
    assert.equal(at.body.entry[0].resource.gender, 'female');
    assert.equal((await s.http.get('/fhir/_history?_since=yesterday')).status, 400);
  });
});
