import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/http.html#patch
describe('REST: PATCH with JSON Patch and FHIRPath Patch', () => {
  let s: TestServer;
  beforeEach(async () => {
    s = await testServer();
    await s.http.put('/fhir/Patient/pp').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'pp', identifier: [{ value: 'X1' }] })));
  });
  afterEach(async () => s.close());

  it('JSON Patch creates a new version', async () => {
    const res = await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }, { op: 'add', path: '/active', value: true }]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.gender, 'male');
    assert.equal(res.body.active, true);
    assert.equal(res.body.meta.versionId, '2');
    assert.equal(res.headers.etag, 'W/"2"');
  });

  it('FHIRPath Patch (Parameters body) creates a new version', async () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [{ name: 'operation', part: [
        { name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'active' }, { name: 'value', valueBoolean: false },
      ] }],
    };
    const res = await s.http.patch('/fhir/Patient/pp').set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.active, false);
  });

  it('refuses patches that break the resource or its identity, writing nothing', async () => {
    const invalid = await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/gender', value: 17 }]));
    assert.equal(invalid.status, 422);
    const id = await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/id', value: 'other' }]));
    assert.equal(id.status, 422);
    const failedTest = await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'test', path: '/gender', value: 'male' }]));
    assert.equal(failedTest.status, 422);
    const malformed = await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'application/json-patch+json').send(JSON.stringify({ op: 'x' }));
    assert.equal(malformed.status, 400);
    assert.equal((await s.http.get('/fhir/Patient/pp')).body.meta.versionId, '1');
  });

  it('If-Match, 404/410 targets, and conditional patch', async () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/gender', value: 'other' }]);
    assert.equal((await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'application/json-patch+json').set('If-Match', 'W/"5"').send(patch)).status, 412);
    assert.equal((await s.http.patch('/fhir/Patient/none').set('Content-Type', 'application/json-patch+json').send(patch)).status, 404);
    const cond = await s.http.patch('/fhir/Patient?identifier=X1').set('Content-Type', 'application/json-patch+json').send(patch);
    assert.equal(cond.status, 200);
    assert.equal(cond.body.gender, 'other');
    await s.http.delete('/fhir/Patient/pp');
    assert.equal((await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'application/json-patch+json').send(patch)).status, 410);
  });

  it('415 for a patch body of another media type', async () => {
    const res = await s.http.patch('/fhir/Patient/pp').set('Content-Type', 'text/plain').send('hello');
    assert.equal(res.status, 415);
  });
});
