import assert from 'node:assert/strict';
import type { Observation, Organization, Patient } from 'fhir/r4';
import { IndexExtractor } from '../../src/search/extract';
import { databaseName, redact, supportsTransactions } from '../../src/store/mongo/connection';
import { patientKey } from '../../src/store/mongo/patient-key';
import { uniqueDatabaseUrl } from '../support/app';

/** The MongoDB store's pieces that need no server: URLs, deployment detection, the shard-key value. */
describe('MongoDB store: connection and shard key (no server)', () => {
  it('takes the database from the URL path, seed lists and options included', () => {
    assert.equal(databaseName('mongodb://127.0.0.1:27017/fhir'), 'fhir');
    assert.equal(databaseName('mongodb://a:1,b:2/region?replicaSet=rs0'), 'region');
    assert.equal(databaseName('mongodb://127.0.0.1:27017'), 'region-fhir');
    assert.equal(databaseName('mongodb://127.0.0.1:27017/?w=1'), 'region-fhir');
  });

  it('never shows credentials', () => {
    assert.equal(redact('mongodb://user:secret@host:27017/db'), 'mongodb://***@host:27017/db');
  });

  it('runs transactions on a replica set member or mongos, not on a standalone server', () => {
    assert.equal(supportsTransactions({ isWritablePrimary: true, setName: 'rs0' }), true);
    assert.equal(supportsTransactions({ isWritablePrimary: true, msg: 'isdbgrid' }), true);
    assert.equal(supportsTransactions({ isWritablePrimary: true }), false);
  });

  it('gives each test server a database of its own on the named server', () => {
    const a = uniqueDatabaseUrl('mongodb://127.0.0.1:27017/x?directConnection=true');
    const b = uniqueDatabaseUrl('mongodb://127.0.0.1:27017');
    assert.match(a, /^mongodb:\/\/127\.0\.0\.1:27017\/rf-test-[0-9a-f]{12}\?directConnection=true$/);
    assert.notEqual(databaseName(a), databaseName(b));
  });

  it('keys a resource to the patient whose record it is, else to itself', () => {
    const extractor = new IndexExtractor();
    const key = (r: Patient | Observation | Organization) => patientKey(r, extractor.extract(r));
    assert.equal(key({ resourceType: 'Patient', id: 'p1' }), 'Patient/p1');
    const obs: Observation = { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } };
    assert.equal(key(obs), 'Patient/p1');
    assert.equal(key({ ...obs, subject: { reference: 'Group/g1' } }), 'Observation/o1');
    assert.equal(key({ resourceType: 'Organization', id: 'org1' }), 'Organization/org1');
  });
});
