import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/http.html#vsearch and the Patient CompartmentDefinition
describe('REST: Patient compartment search', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer();
    const put = (path: string, body: unknown) => s.http.put(path).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    await put('/fhir/Patient/p1', patient({ id: 'p1' }));
    await put('/fhir/Patient/p2', patient({ id: 'p2' }));
    await put('/fhir/Observation/o1', { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'a' }, subject: { reference: 'Patient/p1' } });
    await put('/fhir/Observation/o2', { resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'b' }, performer: [{ reference: 'Patient/p1' }] });
    await put('/fhir/Observation/o3', { resourceType: 'Observation', id: 'o3', status: 'final', code: { text: 'c' }, subject: { reference: 'Patient/p2' } });
    await put('/fhir/Encounter/e1', { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } });
    await put('/fhir/Organization/org1', { resourceType: 'Organization', id: 'org1', name: 'x' });
  });
  after(async () => s.close());

  const ids = (res: { body: { entry?: Array<{ resource: { resourceType: string; id: string } }> } }) =>
    (res.body.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();

  it('finds the member resources of one type through any compartment parameter', async () => {
    const res = await s.http.get('/fhir/Patient/p1/Observation');
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res), ['Observation/o1', 'Observation/o2']);
  });

  it('combines with ordinary search parameters', async () => {
    assert.deepEqual(ids(await s.http.get('/fhir/Patient/p1/Observation?_id=o2')), ['Observation/o2']);
  });

  it('finds every member type with *', async () => {
    const res = await s.http.get('/fhir/Patient/p1/*');
    assert.deepEqual(ids(res), ['Encounter/e1', 'Observation/o1', 'Observation/o2', 'Patient/p1']);
  });

  it('refuses types outside the compartment and compartments not defined', async () => {
    assert.equal((await s.http.get('/fhir/Patient/p1/Organization')).status, 404);
    assert.equal((await s.http.get('/fhir/Encounter/e1/Observation')).status, 404);
  });
});
