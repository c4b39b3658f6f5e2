import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/http.html#create #read #vread #update #delete
describe('REST: create, read, vread, update, delete', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer()));
  afterEach(async () => s.close());

  async function create(body = patient()) {
    return s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
  }

  it('creates with a server id, version 1, Location, ETag and Last-Modified', async () => {
    const res = await create(patient({ id: 'client-chosen' }));
    assert.equal(res.status, 201);
    assert.notEqual(res.body.id, 'client-chosen', 'create ignores the body id');
    assert.equal(res.body.meta.versionId, '1');
    assert.match(res.body.meta.lastUpdated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(res.headers.location, `http://test.local/fhir/Patient/${res.body.id}/_history/1`);
    assert.equal(res.headers.etag, 'W/"1"');
    assert.ok(res.headers['last-modified']);
    assert.match(res.headers['content-type'], /application\/fhir\+json/);
  });

  it('reads the current version and vreads old ones', async () => {
    const id = (await create()).body.id;
    const upd = await s.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON)
      .send(JSON.stringify(patient({ id, gender: 'male' })));
    assert.equal(upd.status, 200);
    assert.equal(upd.body.meta.versionId, '2');
    const read = await s.http.get(`/fhir/Patient/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.gender, 'male');
    assert.equal(read.headers.etag, 'W/"2"');
    const v1 = await s.http.get(`/fhir/Patient/${id}/_history/1`);
    assert.equal(v1.status, 200);
    assert.equal(v1.body.gender, 'female');
    assert.equal(v1.body.meta.versionId, '1');
    assert.equal((await s.http.get(`/fhir/Patient/${id}/_history/3`)).status, 404);
    assert.equal((await s.http.get(`/fhir/Patient/${id}/_history/abc`)).status, 404);
  });

  it('404 for an unknown id, 410 after delete, 404 for an unknown type', async () => {
    assert.equal((await s.http.get('/fhir/Patient/nope')).status, 404);
    const id = (await create()).body.id;
    const del = await s.http.delete(`/fhir/Patient/${id}`);
    assert.equal(del.status, 200);
    assert.equal(del.body.resourceType, 'OperationOutcome');
    assert.equal(del.headers.etag, 'W/"2"');
    const gone = await s.http.get(`/fhir/Patient/${id}`);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.resourceType, 'OperationOutcome');
    const tombstone = await s.http.get(`/fhir/Patient/${id}/_history/2`);
    assert.equal(tombstone.status, 410);
    assert.equal((await s.http.get(`/fhir/Patient/${id}/_history/1`)).status, 200);
    assert.equal((await s.http.get('/fhir/NotAType/1')).status, 404);
  });

  it('delete of a missing resource succeeds without writing', async () => {
    const res = await s.http.delete('/fhir/Patient/never-was');
    assert.equal(res.status, 200);
    assert.equal((await s.http.get('/fhir/Patient/never-was')).status, 404);
  });

  it('creates on update with a client id (201), then updates it (200)', async () => {
    const first = await s.http.put('/fhir/Patient/pat-1').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'pat-1' })));
    assert.equal(first.status, 201);
    assert.equal(first.headers.location, 'http://test.local/fhir/Patient/pat-1/_history/1');
    const second = await s.http.put('/fhir/Patient/pat-1').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'pat-1' })));
    assert.equal(second.status, 200);
    assert.equal(second.body.meta.versionId, '2');
  });

  it('re-creates a deleted resource on update, continuing its versions', async () => {
    await s.http.put('/fhir/Patient/p2').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'p2' })));
    await s.http.delete('/fhir/Patient/p2');
    const res = await s.http.put('/fhir/Patient/p2').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'p2' })));
    assert.equal(res.status, 201);
    assert.equal(res.body.meta.versionId, '3');
  });

  it('rejects an update whose body id is missing or differs from the URL', async () => {
    const missing = await s.http.put('/fhir/Patient/p3').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient()));
    assert.equal(missing.status, 400);
    const differs = await s.http.put('/fhir/Patient/p3').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'other' })));
    assert.equal(differs.status, 400);
    assert.equal((await s.http.get('/fhir/Patient/p3')).status, 404, 'nothing written');
  });

  it('rejects a body of another type (400) and an invalid resource (422)', async () => {
    const wrongType = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Observation' }));
    assert.equal(wrongType.status, 400);
    const invalid = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ gender: 42 })));
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.resourceType, 'OperationOutcome');
    const unknownElement = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ favouriteColour: 'blue' })));
    assert.equal(unknownElement.status, 422);
    assert.equal((await s.http.get('/fhir/Patient/_history')).body.total ?? (await s.http.get('/fhir/Patient/_history')).body.entry?.length ?? 0, 0);
  });

  it('rejects invalid ids in the URL', async () => {
    assert.equal((await s.http.get('/fhir/Patient/bad_id!')).status, 400);
    assert.equal((await s.http.get(`/fhir/Patient/${'x'.repeat(65)}`)).status, 400);
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const minimal = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=minimal').send(JSON.stringify(patient()));
    assert.equal(minimal.status, 201);
    assert.equal(minimal.text, '');
    assert.ok(minimal.headers.location);
    const oo = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).set('Prefer', 'return=OperationOutcome').send(JSON.stringify(patient()));
    assert.equal(oo.status, 201);
    assert.equal(oo.body.resourceType, 'OperationOutcome');
  });

  it('answers conditional reads: If-None-Match and If-Modified-Since give 304', async () => {
    const created = await create();
    const id = created.body.id;
    const same = await s.http.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"1"');
    assert.equal(same.status, 304);
    const changed = await s.http.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"0"');
    assert.equal(changed.status, 200);
    const later = new Date(Date.now() + 60_000).toUTCString();
    assert.equal((await s.http.get(`/fhir/Patient/${id}`).set('If-Modified-Since', later)).status, 304);
    const earlier = new Date(Date.now() - 3600_000).toUTCString();
    assert.equal((await s.http.get(`/fhir/Patient/${id}`).set('If-Modified-Since', earlier)).status, 200);
  });

  it('applies If-Match on update and delete (412 on mismatch)', async () => {
    const id = (await create()).body.id;
    const stale = await s.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"7"').send(JSON.stringify(patient({ id })));
    assert.equal(stale.status, 412);
    const ok = await s.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"1"').send(JSON.stringify(patient({ id })));
    assert.equal(ok.status, 200);
    assert.equal((await s.http.delete(`/fhir/Patient/${id}`).set('If-Match', 'W/"1"')).status, 412);
    assert.equal((await s.http.delete(`/fhir/Patient/${id}`).set('If-Match', 'W/"2"')).status, 200);
    const bad = await s.http.put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'garbage').send(JSON.stringify(patient({ id })));
    assert.equal(bad.status, 400);
  });

  it('applies _summary and _elements on read, marking the result SUBSETTED', async () => {
    const id = (await create(patient({ text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Karin</div>' }, maritalStatus: { text: 'married' } }))).body.id;
    const summary = await s.http.get(`/fhir/Patient/${id}?_summary=true`);
    assert.equal(summary.body.maritalStatus, undefined, 'maritalStatus is not a summary element');
    assert.ok(summary.body.name);
    assert.ok(summary.body.meta.tag.some((t: { code: string }) => t.code === 'SUBSETTED'));
    const text = await s.http.get(`/fhir/Patient/${id}?_summary=text`);
    assert.ok(text.body.text);
    assert.equal(text.body.name, undefined);
    const data = await s.http.get(`/fhir/Patient/${id}?_summary=data`);
    assert.equal(data.body.text, undefined);
    assert.ok(data.body.maritalStatus);
    const elements = await s.http.get(`/fhir/Patient/${id}?_elements=gender`);
    assert.equal(elements.body.gender, 'female');
    assert.equal(elements.body.name, undefined);
    assert.equal(elements.body.id, id);
    assert.equal((await s.http.get(`/fhir/Patient/${id}?_summary=bogus`)).status, 400);
  });

  it('HEAD answers like GET without a body', async () => {
    const id = (await create()).body.id;
    const res = await s.http.head(`/fhir/Patient/${id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.etag, 'W/"1"');
  });
});

describe('REST: decimal precision', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer()));
  afterEach(async () => s.close());

  it('returns decimals as written from create, read, vread, history and search', async () => {
    const body = '{"resourceType":"Observation","status":"final","code":{"text":"fee"},"valueQuantity":{"value":105.00,"unit":"SEK"},"identifier":[{"value":"dec-1"}]}';
    const created = await s.http.post('/fhir/Observation').set('Content-Type', FHIR_JSON).send(body);
    assert.equal(created.status, 201);
    assert.ok(created.text.includes('"value":105.00'), created.text);
    const id = created.body.id;
    for (const url of [`/fhir/Observation/${id}`, `/fhir/Observation/${id}/_history/1`, `/fhir/Observation/${id}/_history`, '/fhir/Observation?identifier=dec-1']) {
      const res = await s.http.get(url);
      assert.ok(res.text.includes('"value":105.00'), `${url}: ${res.text}`);
    }
  });
});
