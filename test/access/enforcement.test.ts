import assert from 'node:assert/strict';
import supertest from 'supertest';
import { parseScopes, type AccessContext } from '../../src/access/access-context';
import { createApp } from '../../src/app';
import { testConfig } from '../../src/config';
import { FhirError } from '../../src/fhir/errors';
import { openStore } from '../../src/store/open';
import type { Store } from '../../src/store/types';
import { FHIR_JSON, patient } from '../support/app';

/**
 * Access enforcement through HTTP: what each kind of grant reaches, and that a patient-scoped caller learns nothing
 * about another patient by any route (read, search, chains, _has, includes, history, batch, conditional writes,
 * counts). Tokens are stood in for by names, so these cases test enforcement, not token validation.
 */
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
const VITALS = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };

function caller(scope: string, patientId?: string): AccessContext {
  return { mode: 'smart', clientId: 'test-app', scopes: parseScopes(scope), patient: patientId };
}

const CALLERS: Record<string, AccessContext> = {
  'patient-p1': caller('patient/*.rs', 'p1'),
  'patient-p1-write': caller('patient/*.cruds', 'p1'),
  'patient-no-context': caller('patient/*.rs'),
  'p1-lab-only': caller('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', 'p1'),
  'system-all': caller('system/*.rs'),
  'system-observations': caller('system/Observation.rs'),
  'admin': caller('system/*.cruds'),
};

describe('Access: one choke point below the handlers', () => {
  let store: Store;
  let http: ReturnType<typeof supertest>;

  before(async () => {
    const config = testConfig({ baseUrl: 'http://test.local/fhir' });
    store = await openStore(config);
    const app = createApp(config, store, undefined, {
      authenticate: async (authorization) => {
        const who = CALLERS[(authorization ?? '').replace(/^Bearer /, '')];
        if (!who) throw new FhirError('unauthorized', 'unknown test caller');
        return who;
      },
    });
    http = supertest(app.handler);
    const put = (path: string, body: object) => http.put(path).set('Authorization', 'Bearer admin').set('Content-Type', FHIR_JSON).send(JSON.stringify(body)).expect((r) => assert.ok(r.status < 300, `${path}: ${r.status}`));
    await put('/fhir/Practitioner/dr1', { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Läkare' }] });
    await put('/fhir/Patient/p1', patient({ id: 'p1', name: [{ family: 'Ett' }] }));
    await put('/fhir/Patient/p2', patient({ id: 'p2', name: [{ family: 'Tva' }], generalPractitioner: [{ reference: 'Practitioner/dr1' }] }));
    const obs = (id: string, subject: string, category: object, code: string) => ({
      resourceType: 'Observation', id, status: 'final', category: [category], code: { coding: [{ system: 'http://loinc.org', code }] },
      subject: { reference: `Patient/${subject}` }, performer: [{ reference: 'Practitioner/dr1' }], identifier: [{ system: 'urn:lab', value: id }],
    });
    await put('/fhir/Observation/o1', obs('o1', 'p1', LAB, '2160-0'));
    await put('/fhir/Observation/o2', obs('o2', 'p1', VITALS, '8867-4'));
    await put('/fhir/Observation/o3', obs('o3', 'p2', LAB, '4548-4'));
    await put('/fhir/Encounter/e2', { resourceType: 'Encounter', id: 'e2', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p2' } });
  });
  after(async () => store.close());

  const as = (who: string) => ({
    get: (path: string) => http.get(path).set('Authorization', `Bearer ${who}`),
    post: (path: string, body: object) => http.post(path).set('Authorization', `Bearer ${who}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body)),
    put: (path: string, body: object) => http.put(path).set('Authorization', `Bearer ${who}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body)),
    delete: (path: string) => http.delete(path).set('Authorization', `Bearer ${who}`),
  });
  type Found = { body: { entry?: Array<{ resource: { resourceType: string; id: string }; search?: { mode: string } }>; total?: number } };
  const found = (res: Found) => (res.body.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();

  describe('a patient-scoped app (patient/*.rs, patient p1)', () => {
    const p1 = as('patient-p1');

    it('reads its patient and what is in the compartment; everything else is 404', async () => {
      await p1.get('/fhir/Patient/p1').expect(200);
      await p1.get('/fhir/Observation/o1').expect(200);
      for (const path of ['/fhir/Patient/p2', '/fhir/Observation/o3', '/fhir/Encounter/e2', '/fhir/Observation/o3/_history/1']) {
        const res = await p1.get(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.resourceType, 'OperationOutcome');
      }
      await p1.get('/fhir/Practitioner/dr1').expect(200); // not patient data: outside every patient compartment
    });

    it('searches only the compartment, whatever the query asks', async () => {
      assert.deepEqual(found(await p1.get('/fhir/Observation')), ['Observation/o1', 'Observation/o2']);
      assert.deepEqual(found(await p1.get('/fhir/Observation?_id=o3')), []);
      assert.deepEqual(found(await p1.get('/fhir/Observation?subject=Patient/p2')), []);
      assert.deepEqual(found(await p1.get('/fhir/Observation?identifier=urn:lab|o3')), []);
      assert.deepEqual(found(await p1.get('/fhir/Patient')), ['Patient/p1']);
      assert.equal((await p1.get('/fhir/Observation?_summary=count')).body.total, 2);
      assert.equal((await p1.get('/fhir/Observation?code=4548-4&_total=accurate')).body.total, 0);
      assert.deepEqual(found(await p1.get('/fhir/Patient/p2/Observation')), [], 'compartment search of another patient');
      assert.deepEqual(found(await p1.get('/fhir?_type=Observation,Patient')), ['Observation/o1', 'Observation/o2', 'Patient/p1']);
    });

    it('learns nothing through chains, _has or includes', async () => {
      assert.deepEqual(found(await p1.get('/fhir/Observation?subject:Patient.family=Tva')), []);
      assert.deepEqual(found(await p1.get('/fhir/Encounter?subject.family=Tva')), []);
      // Practitioner is reachable, but only through Observations the caller may see.
      assert.deepEqual(found(await p1.get('/fhir/Practitioner?_has:Observation:performer:code=4548-4')), []);
      assert.deepEqual(found(await p1.get('/fhir/Practitioner?_has:Observation:performer:code=2160-0')), ['Practitioner/dr1']);
      assert.deepEqual(found(await p1.get('/fhir/Practitioner?_has:Patient:general-practitioner:family=Tva')), []);
      const revinclude = await p1.get('/fhir/Practitioner?_id=dr1&_revinclude=Observation:performer');
      assert.deepEqual(found(revinclude), ['Observation/o1', 'Observation/o2', 'Practitioner/dr1']);
      const include = await p1.get('/fhir/Observation?_include=Observation:subject&_include=Observation:performer');
      assert.deepEqual(found(include), ['Observation/o1', 'Observation/o2', 'Patient/p1', 'Practitioner/dr1']);
    });

    it('gets no type or system history, and an empty history of what it cannot see', async () => {
      assert.equal((await p1.get('/fhir/Observation/_history')).status, 403);
      assert.equal((await p1.get('/fhir/_history')).status, 403);
      const other = await p1.get('/fhir/Observation/o3/_history');
      assert.ok(other.status === 404 || (other.status === 200 && found(other).length === 0), `got ${other.status}`);
      assert.deepEqual(found(await p1.get('/fhir/Observation/o1/_history')), ['Observation/o1']);
    });

    it('batch entries are limited the same way', async () => {
      const res = await p1.post('/fhir', {
        resourceType: 'Bundle', type: 'batch',
        entry: [{ request: { method: 'GET', url: 'Observation/o3' } }, { request: { method: 'GET', url: 'Observation/o1' } }, { request: { method: 'GET', url: 'Observation?code=4548-4' } }],
      }).expect(200);
      const [e3, e1, search] = res.body.entry;
      assert.match(e3.response.status, /^404/);
      assert.match(e1.response.status, /^200/);
      assert.equal(search.resource.entry?.length ?? 0, 0);
    });

    it('cannot write at all with read scopes', async () => {
      assert.equal((await p1.put('/fhir/Observation/o1', { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } })).status, 403);
      assert.equal((await p1.post('/fhir/$reindex', {})).status, 403);
    });

    it('grants nothing in patient context without a patient', async () => {
      assert.equal((await as('patient-no-context').get('/fhir/Observation')).status, 403);
    });
  });

  describe('a patient-scoped app that writes (patient/*.cruds, patient p1)', () => {
    const w = as('patient-p1-write');
    const obs = (subject: string, extra: object = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'self-reported' }, subject: { reference: `Patient/${subject}` }, ...extra });

    it('writes inside its compartment and nowhere else', async () => {
      await w.post('/fhir/Observation', obs('p1')).expect(201);
      assert.equal((await w.post('/fhir/Observation', obs('p2'))).status, 403, 'into another compartment');
      assert.equal((await w.put('/fhir/Observation/o3', { ...obs('p2'), id: 'o3' })).status, 404, "another patient's resource is not there");
      assert.equal((await w.put('/fhir/Observation/o1', { ...obs('p2'), id: 'o1' })).status, 403, 'moving its own out');
      assert.equal((await w.put('/fhir/Observation/brand-new', { ...obs('p1'), id: 'brand-new' })).status, 404, 'no create-on-update under restriction');
      assert.equal((await w.delete('/fhir/Observation/o3')).status, 404);
      await as('admin').get('/fhir/Observation/o3').expect(200);
    });

    it('conditional interactions do not see other patients', async () => {
      // If-None-Exist names another patient's observation: unseen, so a new one is created in the caller's compartment.
      const created = await w.post('/fhir/Observation', obs('p1', { identifier: [{ system: 'urn:lab', value: 'o3' }] })).set('If-None-Exist', 'identifier=urn:lab|o3');
      assert.equal(created.status, 201);
      const deleted = await w.delete('/fhir/Observation?identifier=urn:lab|o3');
      assert.ok(deleted.status < 300);
      await as('admin').get('/fhir/Observation/o3').expect(200);
      const transaction = await w.post('/fhir', {
        resourceType: 'Bundle', type: 'transaction',
        entry: [{ fullUrl: 'urn:uuid:1', resource: obs('p1', { hasMember: [{ reference: 'Observation?identifier=urn:lab|o3' }] }), request: { method: 'POST', url: 'Observation' } }],
      });
      assert.equal(transaction.status, 404, 'a conditional reference to an unseen resource does not resolve');
    });
  });

  describe('v2 search constraints', () => {
    const lab = as('p1-lab-only');
    it('confine reads and searches to what matches', async () => {
      assert.deepEqual(found(await lab.get('/fhir/Observation')), ['Observation/o1']);
      await lab.get('/fhir/Observation/o1').expect(200);
      assert.equal((await lab.get('/fhir/Observation/o2')).status, 404);
      assert.equal((await lab.get('/fhir/Patient/p1')).status, 403, 'no grant on Patient');
    });
  });

  describe('system scopes', () => {
    it('system/*.rs reads everything but writes nothing', async () => {
      const all = as('system-all');
      assert.deepEqual(found(await all.get('/fhir/Observation?code=4548-4')), ['Observation/o3']);
      await all.get('/fhir/Observation/_history').expect(200);
      assert.equal((await all.post('/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' } })).status, 403);
    });

    it('system/Observation.rs reaches Observations only', async () => {
      const obs = as('system-observations');
      await obs.get('/fhir/Observation/o3').expect(200);
      assert.equal((await obs.get('/fhir/Patient/p1')).status, 403);
      assert.deepEqual(found(await obs.get('/fhir/Observation?_id=o1&_include=Observation:subject')), ['Observation/o1'], 'includes of ungranted types are left out');
      assert.equal((await obs.get('/fhir/Observation?subject:Patient.family=Ett')).status, 403, 'a chain into an ungranted type');
    });
  });

  it('/metadata needs no token', async () => {
    await http.get('/fhir/metadata').expect(200);
    assert.equal((await http.get('/fhir/Patient')).status, 401);
  });
});
