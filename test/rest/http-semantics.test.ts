import assert from 'node:assert/strict';
import { FHIR_JSON, patient, testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/http.html#mime-type, #summary, errors and operational endpoints
describe('REST: formats, errors and operational endpoints', () => {
  let s: TestServer;
  beforeEach(async () => (s = await testServer({ maxBodyBytes: 64 * 1024 })));
  afterEach(async () => s.close());

  it('accepts application/json and application/fhir+json; rejects XML bodies (415) and XML answers (406)', async () => {
    assert.equal((await s.http.post('/fhir/Patient').set('Content-Type', 'application/json').send(JSON.stringify(patient()))).status, 201);
    const xml = await s.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+xml').send('<Patient xmlns="http://hl7.org/fhir"/>');
    assert.equal(xml.status, 415);
    assert.equal(xml.body.resourceType, 'OperationOutcome');
    assert.equal((await s.http.get('/fhir/metadata').set('Accept', 'application/fhir+xml')).status, 406);
    assert.equal((await s.http.get('/fhir/metadata?_format=xml')).status, 406);
    assert.equal((await s.http.get('/fhir/metadata?_format=json')).status, 200);
    assert.equal((await s.http.get('/fhir/metadata').set('Accept', 'application/fhir+json;q=0.9, application/fhir+xml')).status, 200);
    assert.equal((await s.http.get('/fhir/metadata').set('Accept', '*/*')).status, 200);
  });

  it('_pretty indents the answer', async () => {
    const res = await s.http.get('/fhir/metadata?_pretty=true');
    assert.ok(res.text.includes('\n  "resourceType"'));
  });

  it('malformed JSON is a 400 OperationOutcome, never a stack trace', async () => {
    const res = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('{"resourceType": "Patient",');
    assert.equal(res.status, 400);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.ok(!res.text.includes('    at '), 'no stack trace');
  });

  it('rejects oversized bodies (413) and deep nesting (400)', async () => {
    const big = patient({ text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(70 * 1024)}</div>` } });
    const res = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(big));
    assert.equal(res.status, 413);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const d = await s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(deep);
    assert.equal(d.status, 400);
  });

  it('405 for a method the path does not take; 404 outside /fhir', async () => {
    const res = await s.http.post('/fhir/Patient/abc').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient()));
    assert.equal(res.status, 405);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.equal((await s.http.delete('/fhir/metadata')).status, 405);
    assert.equal((await s.http.get('/nothing-here')).status, 404);
  });

  it('sets security headers and a request id, and no X-Powered-By', async () => {
    const res = await s.http.get('/fhir/metadata');
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.ok(res.headers['x-content-type-options']);
    assert.ok(res.headers['x-request-id']);
    const given = await s.http.get('/fhir/metadata').set('X-Request-Id', 'abc-123');
    assert.equal(given.headers['x-request-id'], 'abc-123');
  });

  it('healthz, readyz and Prometheus metrics', async () => {
    assert.equal((await s.http.get('/healthz')).status, 200);
    assert.equal((await s.http.get('/readyz')).status, 200);
    await s.http.get('/fhir/Patient/x');
    const m = await s.http.get('/metrics');
    assert.equal(m.status, 200);
    assert.match(m.text, /fhir_requests_total\{interaction="read",status="404"\} 1/);
    assert.match(m.text, /fhir_request_duration_seconds_bucket\{interaction="read",le="0.005"\}/);
    assert.match(m.text, /fhir_store_duration_seconds_count\{method="read"\} 1/);
    await s.close();
    assert.equal((await s.http.get('/readyz')).status, 503);
  });

  it('logs never carry resource bodies or query values', async () => {
    const lines: string[] = [];
    const { createApp } = await import('../../src/app');
    const { createLogger } = await import('../../src/log');
    const { testConfig } = await import('../../src/config');
    const { openStore } = await import('../../src/store/open');
    const supertest = (await import('supertest')).default;
    const config = testConfig({ logLevel: 'debug' });
    const store = await openStore(config);
    const app = createApp(config, store, createLogger('debug', (l) => lines.push(l)));
    await supertest(app.handler).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient({ identifier: [{ value: '197001011234' }] })));
    await supertest(app.handler).get('/fhir/Patient?identifier=197001011234');
    await store.close();
    assert.ok(lines.length >= 2);
    for (const l of lines) {
      assert.ok(!l.includes('197001011234'), 'identifier leaked into a log line');
      assert.ok(!l.includes('Andersson'), 'a name leaked into a log line');
    }
  });
});
