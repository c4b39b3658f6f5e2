import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/resource-operation-validate.html
describe('REST: $validate', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer()));
  afterEach(async () => s.close());

  const validate = (path: string, body: unknown) => s.http.post(path).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));

  it('type level: a valid resource gives an information-only outcome', async () => {
    const res = await validate('/fhir/Patient/$validate', patient());
    assert.equal(res.status, 200);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.ok(res.body.issue.every((i: { severity: string }) => i.severity === 'information'));
  });

  it('type level: the same errors that guard writes', async () => {
    const bad = patient({ gender: 3, birthDate: '1970-13-40' });
    const res = await validate('/fhir/Patient/$validate', bad);
    assert.equal(res.status, 200);
    const errors = res.body.issue.filter((i: { severity: string }) => i.severity === 'error');
    assert.ok(errors.length >= 2, JSON.stringify(res.body));
    const write = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(bad));
    assert.equal(write.status, 422);
  });

  it('Parameters body with mode=create/update, and instance level with mode=delete', async () => {
    const params = (resource: unknown, mode: string) => ({
      resourceType: 'Parameters', parameter: [{ name: 'resource', resource }, { name: 'mode', valueCode: mode }],
    });
    const upd = await validate('/fhir/Patient/$validate', params(patient(), 'update'));
    assert.ok(upd.body.issue.some((i: { severity: string }) => i.severity === 'error'), 'update needs an id');
    const ok = await validate('/fhir/Patient/$validate', params(patient(), 'create'));
    assert.ok(ok.body.issue.every((i: { severity: string }) => i.severity !== 'error'));
    await s.http.put('/fhir/Patient/v1').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'v1' })));
    const del = await validate('/fhir/Patient/v1/$validate', { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] });
    assert.equal(del.status, 200);
    const stored = await s.http.get('/fhir/Patient/v1/$validate');
    assert.equal(stored.status, 200);
    assert.equal((await validate('/fhir/Patient/nobody/$validate', { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] })).status, 404);
    assert.equal((await validate('/fhir/Patient/$validate', params(patient(), 'bogus'))).status, 400);
    assert.equal((await validate('/fhir/Patient/$validate', { resourceType: 'Parameters', parameter: 'x' })).status, 400);
  });

  it('unknown operations are 404', async () => {
    assert.equal((await s.http.post('/fhir/Patient/$nothing').set('Content-Type', FHIR_JSON).send('{}')).status, 404);
  });
});
