import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/http.html#transaction
describe('REST: batch and transaction bundles', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer()));
  afterEach(async () => s.close());

  const postBundle = (bundle: unknown, headers: Record<string, string> = {}) =>
    s.http.post('/fhir').set('Content-Type', FHIR_JSON).set(headers).send(JSON.stringify(bundle));
  const PID = 'urn:uuid:2f6b8c1e-8c1a-4a6e-9a57-0c8e1f3a5d11';
  const OID = 'urn:oid:1.2.752.129.2.1.4.1';

  it('transaction: rewrites urn:uuid and urn:oid references everywhere, answers in entry order', async () => {
    const bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:9d1b2c3e-0000-4000-8000-000000000001',
          resource: {
            resourceType: 'Observation', status: 'final', code: { text: 'pulse' },
            subject: { reference: PID },
            performer: [{ reference: OID }],
            extension: [{ url: 'http://example.org/related', valueReference: { reference: PID } }],
            focus: [{ reference: '#prov' }],
            contained: [{ resourceType: 'Provenance', id: 'prov', recorded: '2024-01-01T00:00:00Z', agent: [{ who: { reference: PID } }], target: [{ reference: PID }] }],
            text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${PID}">patient</a></div>` },
          },
          request: { method: 'POST', url: 'Observation' },
        },
        { fullUrl: PID, resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: OID, resource: { resourceType: 'Organization', name: 'Region Halland' }, request: { method: 'POST', url: 'Organization' } },
      ],
    };
    const res = await postBundle(bundle);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.type, 'transaction-response');
    const [obsR, patR, orgR] = res.body.entry;
    assert.equal(obsR.response.status, '201 Created');
    assert.match(patR.response.location, /Patient\/[^/]+\/_history\/1$/);
    assert.equal(patR.response.etag, 'W/"1"');
    assert.ok(patR.response.lastModified);
    const patientId = patR.resource.id;
    const orgId = orgR.resource.id;
    const obs = (await s.http.get(`/fhir/Observation/${obsR.resource.id}`)).body;
    assert.equal(obs.subject.reference, `Patient/${patientId}`);
    assert.equal(obs.performer[0].reference, `Organization/${orgId}`);
    assert.equal(obs.extension[0].valueReference.reference, `Patient/${patientId}`);
    assert.equal(obs.contained[0].target[0].reference, `Patient/${patientId}`);
    assert.ok(obs.text.div.includes(`Patient/${patientId}`));
  });

  it('transaction: all or nothing', async () => {
    await s.http.put('/fhir/Patient/keep').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'keep' })));
    const res = await postBundle({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'DELETE', url: 'Patient/keep' } },
        { resource: patient({ id: 'keep' }), request: { method: 'PUT', url: 'Patient/keep', ifMatch: 'W/"9"' } },
      ],
    });
    assert.equal(res.status, 412);
    assert.match(res.body.issue[0].diagnostics, /Bundle\.entry\[2\]/);
    assert.equal((await s.http.get('/fhir/Patient/keep')).status, 200, 'the delete was rolled back');
    const all = await s.http.get('/fhir/Patient?_summary=count');
    assert.equal(all.body.total, 1, 'the create was rolled back');
    const invalid = await postBundle({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ gender: 12 }), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    assert.equal(invalid.status, 422);
    assert.equal((await s.http.get('/fhir/Patient?_summary=count')).body.total, 1);
  });

  it('transaction: conditional create, conditional references and processing order', async () => {
    const sys = 'urn:oid:1.2.752.129.2.1.3.1';
    await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ identifier: [{ system: sys, value: '191212121212' }] })));
    const existing = (await s.http.get(`/fhir/Patient?identifier=191212121212`)).body.entry[0].resource.id;
    const res = await postBundle({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { request: { method: 'GET', url: `Patient?identifier=191212121212` } },
        {
          resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient?identifier=${sys}|191212121212` } },
          request: { method: 'POST', url: 'Encounter' },
        },
        {
          fullUrl: 'urn:uuid:11111111-2222-4333-8444-555555555555',
          resource: patient({ identifier: [{ system: sys, value: '191212121212' }] }),
          request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${sys}|191212121212` },
        },
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:11111111-2222-4333-8444-555555555555' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.entry[0].response.status, '200 OK');
    assert.equal(res.body.entry[0].resource.type, 'searchset');
    assert.equal(res.body.entry[2].response.status, '200 OK', 'ifNoneExist matched');
    const enc = (await s.http.get(res.body.entry[1].response.location.replace('http://test.local', ''))).body;
    assert.equal(enc.subject.reference, `Patient/${existing}`);
    const obs = (await s.http.get(res.body.entry[3].response.location.replace('http://test.local', ''))).body;
    assert.equal(obs.subject.reference, `Patient/${existing}`);
    const unresolved = await postBundle({
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient?identifier=nobody' } }, request: { method: 'POST', url: 'Encounter' } }],
    });
    assert.equal(unresolved.status, 404);
  });

  it('transaction: PUT with a client id and PATCH inside', async () => {
    await s.http.put('/fhir/Patient/tp').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ id: 'tp' })));
    const res = await postBundle({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'http://test.local/fhir/Patient/new1', resource: patient({ id: 'new1' }), request: { method: 'PUT', url: 'Patient/new1' } },
        {
          resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.gender' }, { name: 'value', valueCode: 'male' }] }] },
          request: { method: 'PATCH', url: 'Patient/tp' },
        },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'http://test.local/fhir/Patient/new1' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.entry[0].response.status, '201 Created');
    assert.equal(res.body.entry[1].response.status, '200 OK');
    assert.equal((await s.http.get('/fhir/Patient/tp')).body.gender, 'male');
    const obs = (await s.http.get(res.body.entry[2].response.location.replace('http://test.local', ''))).body;
    assert.equal(obs.subject.reference, 'Patient/new1');
  });

  it('batch: entries succeed or fail independently, each with its status', async () => {
    const res = await postBundle({
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ gender: 5 }), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/missing' } },
        { request: { method: 'DELETE', url: 'Patient/missing' } },
      ],
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.type, 'batch-response');
    const statuses = res.body.entry.map((e: { response: { status: string } }) => e.response.status);
    assert.deepEqual(statuses, ['201 Created', '422 Unprocessable Entity', '404 Not Found', '200 OK']);
    assert.equal(res.body.entry[1].response.outcome.resourceType, 'OperationOutcome');
  });

  it('rejects bundles that are not batch or transaction, duplicate fullUrls, and bad entries', async () => {
    assert.equal((await postBundle({ resourceType: 'Bundle', type: 'collection' })).status, 400);
    assert.equal((await postBundle({ resourceType: 'Bundle', type: 'transaction', entry: 'x' })).status, 400);
    assert.equal((await postBundle({ resourceType: 'Bundle', type: 'batch', entry: [null] })).status, 400);
    assert.equal((await postBundle(patient())).status, 400);
    const dup = await postBundle({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: PID, resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: PID, resource: patient(), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    assert.equal(dup.status, 400);
    assert.equal((await postBundle({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient() }] })).status, 400);
    assert.equal((await postBundle({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Nope' }, resource: patient() }] })).status, 404);
  });
});

describe('REST: bundle entry urls', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer()));
  afterEach(async () => s.close());

  const postBundle = (bundle: unknown) => s.http.post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));

  it('accepts absolute urls under this base, refuses urls of other servers', async () => {
    const ours = await postBundle({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient({ id: 'abs' }), request: { method: 'PUT', url: 'http://test.local/fhir/Patient/abs' } }] });
    assert.equal(ours.status, 200);
    assert.equal((await s.http.get('/fhir/Patient/abs')).status, 200);
    const theirs = await postBundle({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient({ id: 'x' }), request: { method: 'PUT', url: 'http://elsewhere.example/fhir/Patient/x' } }] });
    assert.equal(theirs.status, 400);
    assert.equal((await s.http.get('/fhir/Patient/x')).status, 404);
    const batch = await postBundle({
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { resource: patient({ id: 'x' }), request: { method: 'PUT', url: 'http://elsewhere.example/fhir/Patient/x' } },
        { resource: patient({ id: 'y' }), request: { method: 'PUT', url: 'Patient/y' } },
      ],
    });
    assert.equal(batch.status, 200);
    assert.deepEqual(batch.body.entry.map((e: { response: { status: string } }) => e.response.status), ['400 Bad Request', '201 Created']);
  });

  it('runs operations inside a transaction after its writes', async () => {
    const res = await postBundle({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: patient({ id: 'op1' }), request: { method: 'PUT', url: 'Patient/op1' } },
        { resource: patient(), request: { method: 'POST', url: 'Patient/$validate' } },
      ],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.entry[1].response.status, '200 OK');
  });
});
