import assert from 'node:assert/strict';
import supertest from 'supertest';
import type { AuditEvent } from 'fhir/r4';
import { parseScopes, type AccessContext } from '../../src/access/access-context';
import { createApp } from '../../src/app';
import { testConfig } from '../../src/config';
import { FhirError } from '../../src/fhir/errors';
import { validateResource } from '../../src/fhir/validate';
import { openStore } from '../../src/store/open';
import type { Store } from '../../src/store/types';
import { FHIR_JSON, patient } from '../support/app';

const CALLERS: Record<string, AccessContext> = {
  'ward-system': { mode: 'smart', clientId: 'ward-system', subject: 'nurse-42', fhirUser: 'Practitioner/n42', purposeOfUse: 'TREAT', scopes: parseScopes('user/*.cruds') },
  'patient-p1': { mode: 'smart', clientId: 'patient-app', subject: 'p1-login', fhirUser: 'Patient/p1', patient: 'p1', scopes: parseScopes('patient/*.rs') },
};

async function auditedServer(storeOverride?: (store: Store) => Store) {
  const config = testConfig({ baseUrl: 'http://test.local/fhir' });
  const store = await openStore(config);
  const app = createApp(config, storeOverride ? storeOverride(store) : store, undefined, {
    audit: true,
    authenticate: async (authorization) => {
      const who = CALLERS[(authorization ?? '').replace(/^Bearer /, '')];
      if (!who) throw new FhirError('unauthorized', 'unknown test caller');
      return who;
    },
  });
  const http = supertest(app.handler);
  const as = (who: string) => ({
    get: (path: string) => http.get(path).set('Authorization', `Bearer ${who}`),
    put: (path: string, body: object) => http.put(path).set('Authorization', `Bearer ${who}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body)),
    delete: (path: string) => http.delete(path).set('Authorization', `Bearer ${who}`),
  });
  return { store, http, as };
}

describe('Access: the audit trail (AuditEvent per interaction)', () => {
  let s: Awaited<ReturnType<typeof auditedServer>>;
  const events = async (): Promise<AuditEvent[]> => {
    const page = await s.store.search({ types: ['AuditEvent'], filters: [], sort: [], count: 1000, total: 'none' });
    return page.entries.map((v) => v.resource as AuditEvent);
  };

  beforeEach(async () => {
    s = await auditedServer();
    const ward = s.as('ward-system');
    await ward.put('/fhir/Patient/p1', patient({ id: 'p1' })).expect(201);
    await ward.put('/fhir/Patient/p2', patient({ id: 'p2' })).expect(201);
    await ward.put('/fhir/Observation/o1', { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'Hb' }, subject: { reference: 'Patient/p1' } }).expect(201);
    await ward.put('/fhir/Observation/o2', { resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'Hb' }, subject: { reference: 'Patient/p2' } }).expect(201);
  });
  afterEach(async () => s.store.close());

  it('N interactions leave N AuditEvents, valid, naming client, user, purpose, patients, resources and query', async () => {
    const before = (await events()).length;
    assert.equal(before, 4, 'the four writes of the set-up');
    const ward = s.as('ward-system');
    for (let i = 0; i < 5; i++) await ward.get('/fhir/Observation/o1').expect(200);
    await ward.get('/fhir/Observation?code:text=Hb').expect(200);
    const all = await events();
    assert.equal(all.length, before + 6);
    for (const e of all) assert.deepEqual(validateResource(e, { expectedType: 'AuditEvent' }).filter((i) => i.severity === 'error'), [], 'valid AuditEvent');

    const read = all.find((e) => e.subtype?.[0].code === 'read')!;
    assert.equal(read.action, 'R');
    assert.equal(read.outcome, '0');
    assert.deepEqual(read.agent.map((a) => a.who?.identifier?.value ?? a.who?.reference), ['ward-system', 'Practitioner/n42']);
    assert.equal(read.purposeOfEvent?.[0].coding?.[0].code, 'TREAT');
    assert.deepEqual(read.entity?.map((x) => x.what?.reference).filter(Boolean), ['Patient/p1', 'Observation/o1']);

    const search = all.find((e) => e.subtype?.[0].code === 'search-type')!;
    assert.deepEqual(search.entity?.filter((x) => x.what).map((x) => x.what!.reference), ['Patient/p1', 'Patient/p2', 'Observation/o1', 'Observation/o2']);
    const query = search.entity?.find((x) => x.query)?.query;
    assert.equal(Buffer.from(query!, 'base64').toString(), 'GET Observation?code%3Atext=Hb');

    const write = all.find((e) => e.subtype?.[0].code === 'update')!;
    assert.equal(write.action, 'U');
  });

  it('records refused and failed interactions too', async () => {
    await s.as('patient-p1').get('/fhir/Observation/o2').expect(404);
    const refused = (await events()).find((e) => e.outcome === '4');
    assert.ok(refused, 'a 404 is recorded with outcome 4');
    assert.equal(refused.agent[0].who?.identifier?.value, 'patient-app');
  });

  it('a patient sees who accessed their record, and no one else\'s', async () => {
    await s.as('ward-system').get('/fhir/Observation/o1').expect(200);
    await s.as('ward-system').get('/fhir/Observation/o2').expect(200);
    const mine = await s.as('patient-p1').get('/fhir/AuditEvent?patient=p1&_count=100').expect(200);
    const entries = (mine.body.entry ?? []).filter((e: { search: { mode: string } }) => e.search.mode === 'match');
    assert.ok(entries.length >= 3, `the writes and the read about p1, got ${entries.length}`);
    for (const e of entries) {
      const patients = (e.resource as AuditEvent).entity?.map((x) => x.what?.reference).filter((r) => r?.startsWith('Patient/'));
      assert.ok(patients?.includes('Patient/p1'));
    }
    assert.ok(entries.some((e: { resource: AuditEvent }) => e.resource.agent.some((a) => a.who?.reference === 'Practitioner/n42')), 'the nurse is named');
    const theirs = await s.as('patient-p1').get('/fhir/AuditEvent?patient=p2').expect(200);
    assert.equal((theirs.body.entry ?? []).filter((e: { search: { mode: string } }) => e.search.mode === 'match').length, 0);
  });

  it('AuditEvents cannot be updated or deleted through the API', async () => {
    const [first] = await events();
    const ward = s.as('ward-system');
    assert.equal((await ward.put(`/fhir/AuditEvent/${first.id}`, { ...first, outcome: '8' })).status, 405);
    assert.equal((await ward.delete(`/fhir/AuditEvent/${first.id}`)).status, 405);
    assert.equal((await ward.delete('/fhir/AuditEvent?outcome=0')).status, 405);
    assert.equal((await ward.put('/fhir/AuditEvent/from-a-client', { ...first, id: 'from-a-client' })).status, 201, 'PUT may create one with a chosen id');
    assert.equal((await ward.put('/fhir/AuditEvent/from-a-client', { ...first, id: 'from-a-client' })).status, 405, 'but not write over it');
  });

  it('an access that cannot be recorded is not answered (503, no data)', async () => {
    const failing = await auditedServer((store) => ({
      ...store,
      commit: (ops, options) => (ops.some((op) => op.kind === 'create' && op.resource.resourceType === 'AuditEvent')
        ? Promise.reject(new Error('disk full')) : store.commit(ops, options)),
      searchParameters: () => store.searchParameters(),
      reindex: (plan, options) => store.reindex(plan, options),
      read: (t, i) => store.read(t, i),
      vread: (t, i, v) => store.vread(t, i, v),
      history: (sc, o) => store.history(sc, o),
      search: (q) => store.search(q),
      readMany: (r) => store.readMany(r),
      ready: () => store.ready(),
      close: () => store.close(),
    }));
    try {
      await failing.store.commit([{ kind: 'create', resource: { resourceType: 'Patient', id: 'px' } as never }]);
      const res = await failing.as('ward-system').get('/fhir/Patient?_id=px');
      assert.equal(res.status, 503);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.ok(!JSON.stringify(res.body).includes('"Patient"'), 'no data in the refusal');
    } finally {
      await failing.store.close();
    }
  });
});
