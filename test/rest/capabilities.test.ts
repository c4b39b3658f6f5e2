import assert from 'node:assert/strict';
import { INTERACTIONS } from '../../src/core/interactions/table';
import { OPERATIONS } from '../../src/operations/registry';
import { supportedSearchParams } from '../../src/search/parameters';
import { testServer, type TestServer } from '../support/app';

// https://hl7.org/fhir/R4/http.html#capabilities; the statement must list exactly what works.
describe('REST: CapabilityStatement', () => {
  let s: TestServer;
  before(async () => (s = await testServer()));
  after(async () => s.close());

  it('describes a FHIR 4.0.1 JSON server with all 147 resource types', async () => {
    const res = await s.http.get('/fhir/metadata');
    assert.equal(res.status, 200);
    const cs = res.body;
    assert.equal(cs.resourceType, 'CapabilityStatement');
    assert.equal(cs.fhirVersion, '4.0.1');
    assert.deepEqual(cs.format, ['application/fhir+json', 'json']);
    assert.equal(cs.rest[0].resource.length, 147);
  });

  it('says how clients authenticate: loudly nobody with AUTH=off, SMART on FHIR with AUTH=smart', async () => {
    const off = (await s.http.get('/fhir/metadata')).body.rest[0].security;
    assert.match(off.description, /AUTH=off/);
    const smart = await testServer({ authMode: 'smart', audit: true });
    try {
      const security = (await smart.http.get('/fhir/metadata').expect(200)).body.rest[0].security;
      assert.equal(security.service[0].coding[0].code, 'SMART-on-FHIR');
      const uris = security.extension.find((e: { url: string }) => e.url.endsWith('oauth-uris'));
      assert.ok(uris.extension.some((e: { url: string; valueUri: string }) => e.url === 'token' && e.valueUri.endsWith('/auth/token')));
      assert.equal((await smart.http.get('/fhir/Patient')).status, 401, 'data needs a token');
    } finally {
      await smart.close();
    }
  });

  it('lists only registered interactions and operations, and every registered one', async () => {
    const cs = (await s.http.get('/fhir/metadata')).body;
    const patient = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    const listed = new Set(patient.interaction.map((i: { code: string }) => i.code));
    const registered = new Set(INTERACTIONS.filter((i) => i.level !== 'system').map((i) => i.code));
    assert.deepEqual([...listed].sort(), [...registered].sort());
    const system = cs.rest[0].interaction.map((i: { code: string }) => i.code).sort();
    assert.deepEqual(system, ['batch', 'history-system', 'search-system', 'transaction']);
    const ops = patient.operation.map((o: { name: string }) => o.name);
    assert.deepEqual(ops, OPERATIONS.filter((o) => o.definition.type || o.definition.instance).map((o) => o.definition.code));
  });

  it('lists the search parameters of the support table, and each listed one is accepted in strict mode', async () => {
    const cs = (await s.http.get('/fhir/metadata')).body;
    const patient = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    const names = patient.searchParam.map((p: { name: string }) => p.name).sort();
    assert.deepEqual(names, supportedSearchParams('Patient').map((p) => p.code).sort());
    for (const name of ['_id', 'identifier', 'name', 'family', 'birthdate', 'gender', 'organization', 'address-city']) {
      assert.ok(names.includes(name), `${name} is listed`);
    }
    const samples: Record<string, string> = {
      _id: 'x', _lastUpdated: 'gt2020-01-01', identifier: 'x', name: 'x', family: 'x', birthdate: '1970', gender: 'female',
      organization: 'Organization/x', 'address-city': 'x',
    };
    for (const [name, value] of Object.entries(samples)) {
      const res = await s.http.get(`/fhir/Patient?${name}=${encodeURIComponent(value)}`).set('Prefer', 'handling=strict');
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
    }
  });

});
