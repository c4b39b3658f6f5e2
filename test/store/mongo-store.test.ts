import assert from 'node:assert/strict';
import { MongoClient, type Db } from 'mongodb';
import type { FhirResource, Observation, Patient } from 'fhir/r4';
import { FhirError } from '../../src/fhir/errors';
import { createLogger } from '../../src/log';
import { MongoStore, type MongoStoreOptions } from '../../src/store/mongo/mongo-store';
import { mongoSearch } from '../../src/store/mongo/search-query';
import type { SearchQuery } from '../../src/search/model';
import { uniqueDatabaseUrl } from '../support/app';

/**
 * The MongoDB store's core against a real MongoDB-wire server (MONGODB_URL; FerretDB in CI): documents, versions,
 * history, commit atomicity on the journaled path (deployments without transactions), crash recovery, start-up
 * indexes, ready/close. The shared contract (test/store/contract/) covers what every adapter must do; this file
 * covers what is particular to this one. https://hl7.org/fhir/R4/http.html
 */

const SERVER = process.env.MONGODB_URL;

const silent = createLogger('silent');

function patient(extra: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', name: [{ family: 'Andersson', given: ['Karin'] }], gender: 'female', ...extra };
}

function identifierQuery(value: string): SearchQuery {
  return {
    types: ['Patient'],
    filters: [{ kind: 'param', param: 'identifier', type: 'token', values: [{ kind: 'token', value: { system: 'urn:test', code: value } }] }],
    sort: [], count: 10, total: 'none',
  };
}

async function expectFhirError(promise: Promise<unknown>, category: string, opIndex?: number): Promise<FhirError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FhirError, `expected a FhirError, got ${String(err)}`);
    assert.equal(err.category, category);
    if (opIndex !== undefined) assert.equal(err.opIndex, opIndex);
    return err;
  }
  assert.fail(`expected a ${category} error`);
}

(SERVER ? describe : describe.skip)(`MongoDB store core${SERVER ? '' : ' (skipped: set MONGODB_URL=mongodb://host:port to run)'}`, function () {
  this.timeout(60_000);
  let url: string;
  let client: MongoClient;
  let db: Db;
  let store: MongoStore;
  let clock: number;

  const open = (extra: Partial<MongoStoreOptions> = {}) => MongoStore.open({ url, search: mongoSearch, log: silent, now: () => clock, ...extra });

  beforeEach(async () => {
    url = uniqueDatabaseUrl(SERVER!);
    client = await new MongoClient(url).connect();
    db = client.db();
    clock = Date.parse('2026-01-01T00:00:00.000Z');
    store = await open();
  });

  afterEach(async () => {
    await store.close();
    await db.dropDatabase();
    await client.close();
  });

  async function create(resource: FhirResource = patient()): Promise<string> {
    const [result] = await store.commit([{ kind: 'create', resource }]);
    return result.version!.id;
  }

  describe('start-up', () => {
    it('creates the core indexes, and opening again is a no-op', async () => {
      const second = await open();
      await second.close();
      const versionIndexes = (await db.collection('versions').indexes()).map((i) => i.name);
      for (const name of ['history_system', 'history_type', 'history_instance']) assert.ok(versionIndexes.includes(name), name);
      const rid = (await db.collection('resources').indexes()).find((i) => i.name === 'rid');
      assert.equal(rid?.unique, true);
    });

    it('reports whether the deployment runs transactions', async () => {
      const hello = await db.admin().command({ hello: 1 });
      assert.equal(store.transactional, typeof hello.setName === 'string' || hello.msg === 'isdbgrid');
    });

    it('is ready while open and not after close; a commit after close is refused', async () => {
      assert.equal(await store.ready(), true);
      const other = await open();
      await other.close();
      assert.equal(await other.ready(), false);
      await expectFhirError(other.commit([{ kind: 'create', resource: patient() }]), 'exception');
    });

    it('close waits for queued commits', async () => {
      const other = await open();
      const pending = other.commit([{ kind: 'create', resource: patient({ id: 'queued' }) }]);
      await other.close();
      await pending;
      assert.equal((await store.read('Patient', 'queued'))?.versionId, '1');
    });
  });

  describe('documents and versions', () => {
    it('keeps the current version in resources and every version in versions', async () => {
      const id = await create();
      clock += 1000;
      await store.commit([{ kind: 'update', type: 'Patient', id, resource: patient({ id, gender: 'male' }) }]);
      const current = await db.collection('resources').findOne({ _id: `Patient/${id}` as never });
      assert.equal(current?.versionId, 2);
      assert.equal(current?.deleted, false);
      assert.equal(typeof current?.rid, 'number');
      assert.ok(current?.ix, 'current version carries its search fields');
      assert.equal(JSON.parse(current?.json).gender, 'male');
      const versions = await db.collection('versions').find({ type: 'Patient', id }).sort({ seq: 1 }).toArray();
      assert.deepEqual(versions.map((v) => v.versionId), [1, 2]);
      assert.equal(versions[0].until, '2026-01-01T00:00:01.000Z', 'the replaced version says when it stopped being current');
      assert.equal(versions[1].until, undefined);
    });

    it('reads, vreads and deletes: a delete is a version with no body', async () => {
      const id = await create();
      const [deleted] = await store.commit([{ kind: 'delete', type: 'Patient', id }]);
      assert.equal(deleted.outcome, 'deleted');
      const read = await store.read('Patient', id);
      assert.equal(read?.deleted, true);
      assert.equal(read?.versionId, '2');
      assert.equal(read?.resource, undefined);
      assert.equal((await store.vread('Patient', id, '1'))?.resource?.id, id);
      assert.equal((await store.vread('Patient', id, '2'))?.deleted, true);
      assert.equal(await store.vread('Patient', id, '3'), undefined);
      assert.equal(await store.vread('Patient', id, 'x'), undefined);
      assert.equal(await store.read('Patient', 'never'), undefined);
      const [again] = await store.commit([{ kind: 'delete', type: 'Patient', id }]);
      assert.equal(again.outcome, 'noop');
    });

    it('sets meta and serves the stored JSON as written', async () => {
      const [r] = await store.commit([{ kind: 'create', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: 105.0 } } as Observation }]);
      const read = await store.read('Observation', r.version!.id);
      assert.equal(read?.json, r.version?.json);
      const meta = (read?.resource as Observation).meta!;
      assert.equal(meta.versionId, '1');
      assert.equal(meta.lastUpdated, '2026-01-01T00:00:00.000Z');
    });

    it('keeps a chosen id unless it was ever used, and a re-created resource keeps its rid', async () => {
      const [first] = await store.commit([{ kind: 'create', resource: patient({ id: 'chosen' }) }]);
      assert.equal(first.version?.id, 'chosen');
      const [clash] = await store.commit([{ kind: 'create', resource: patient({ id: 'chosen' }) }]);
      assert.notEqual(clash.version?.id, 'chosen');
      const rid = (await db.collection('resources').findOne({ _id: 'Patient/chosen' as never }))?.rid;
      await store.commit([{ kind: 'delete', type: 'Patient', id: 'chosen' }]);
      const [recreated] = await store.commit([{ kind: 'update', type: 'Patient', id: 'chosen', resource: patient({ id: 'chosen' }) }]);
      assert.equal(recreated.outcome, 'created');
      assert.equal(recreated.version?.versionId, '3');
      assert.equal((await db.collection('resources').findOne({ _id: 'Patient/chosen' as never }))?.rid, rid);
    });

    it('gives every resource its own rid, increasing with creation', async () => {
      const results = await store.commit([{ kind: 'create', resource: patient() }, { kind: 'create', resource: patient() }]);
      const third = await create();
      const docs = await db.collection('resources').find({}).toArray();
      const rid = (id: string) => docs.find((d) => d.id === id)!.rid as number;
      const rids = [rid(results[0].version!.id), rid(results[1].version!.id), rid(third)];
      assert.deepEqual([...rids].sort((a, b) => a - b), rids);
      assert.equal(new Set(rids).size, 3);
    });

    it('never stamps a commit earlier than the previous one, even when the clock goes back', async () => {
      const id = await create();
      clock -= 60_000;
      const [u] = await store.commit([{ kind: 'update', type: 'Patient', id, resource: patient({ id }) }]);
      assert.equal(u.version?.lastUpdated, '2026-01-01T00:00:00.000Z');
      const reopened = await open();
      const [later] = await reopened.commit([{ kind: 'create', resource: patient() }]);
      assert.ok(later.version!.lastUpdated >= '2026-01-01T00:00:00.000Z');
      await reopened.close();
    });

    it('reads many at once: deleted and unknown left out, duplicates once', async () => {
      const a = await create();
      const b = await create();
      await store.commit([{ kind: 'delete', type: 'Patient', id: b }]);
      const found = await store.readMany([{ type: 'Patient', id: a }, { type: 'Patient', id: a }, { type: 'Patient', id: b }, { type: 'Patient', id: 'nope' }]);
      assert.deepEqual(found.map((v) => v.id), [a]);
    });

    it('applies a patch transform to the current version inside the commit', async () => {
      const id = await create();
      const [r] = await store.commit([{ kind: 'update', type: 'Patient', id, transform: (cur) => ({ ...cur, active: true }) as FhirResource }]);
      assert.equal((r.version?.resource as Patient).active, true);
      assert.equal((r.version?.resource as Patient).gender, 'female');
      await expectFhirError(store.commit([{ kind: 'update', type: 'Patient', id: 'missing', transform: (cur) => cur }]), 'not-found', 0);
    });

    it('writes two versions of one resource in one commit in order', async () => {
      const id = await create();
      clock += 1000;
      const results = await store.commit([
        { kind: 'update', type: 'Patient', id, resource: patient({ id, gender: 'male' }) },
        { kind: 'update', type: 'Patient', id, resource: patient({ id, gender: 'other' }) },
      ]);
      assert.deepEqual(results.map((r) => r.version?.versionId), ['2', '3']);
      assert.equal((await store.read('Patient', id))?.versionId, '3');
      const history = await store.history({ type: 'Patient', id }, { count: 10 });
      assert.deepEqual(history.entries.map((v) => v.versionId), ['3', '2', '1']);
    });
  });

  describe('preconditions', () => {
    it('If-Match: a stale version fails with 412 and writes nothing', async () => {
      const id = await create();
      await expectFhirError(store.commit([
        { kind: 'create', resource: patient({ id: 'bystander' }) },
        { kind: 'update', type: 'Patient', id, resource: patient({ id }), ifMatch: '2' },
      ]), 'precondition', 1);
      assert.equal(await store.read('Patient', 'bystander'), undefined);
      assert.equal((await store.read('Patient', id))?.versionId, '1');
    });

    it('50 concurrent If-Match updates of one version: exactly one wins', async () => {
      const id = await create();
      const attempts = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => store.commit([{ kind: 'update', type: 'Patient', id, resource: patient({ id, birthDate: `19${String(i).padStart(2, '0')}` }), ifMatch: '1' }])),
      );
      assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1);
      assert.equal((await store.read('Patient', id))?.versionId, '2');
    });

    it('conditional creates racing on one identifier create one resource', async () => {
      const condition = { query: identifierQuery('race') };
      const results = await Promise.all(Array.from({ length: 10 }, () =>
        store.commit([{ kind: 'create', resource: patient({ identifier: [{ system: 'urn:test', value: 'race' }] }), ifNoneExist: condition }])));
      assert.equal(results.filter(([r]) => r.outcome === 'created').length, 1);
      assert.equal(new Set(results.map(([r]) => r.version?.id)).size, 1);
    });

    it('finalize sees every placement before anything is written and may rewrite the resources', async () => {
      let seen: unknown;
      const obs: Observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:1' } };
      const results = await store.commit([{ kind: 'create', resource: patient() }, { kind: 'create', resource: obs }], {
        finalize: (placements) => {
          seen = placements;
          obs.subject!.reference = `Patient/${placements[0].id}`;
        },
      });
      assert.equal((seen as unknown[]).length, 2);
      const stored = (await store.read('Observation', results[1].version!.id))?.resource as Observation;
      assert.equal(stored.subject?.reference, `Patient/${results[0].version!.id}`);
    });
  });

  describe('history', () => {
    it('pages newest first with a cursor that stays valid while versions arrive', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await create());
        clock += 1000;
      }
      const first = await store.history({ type: 'Patient' }, { count: 2 });
      assert.deepEqual(first.entries.map((v) => v.id), [ids[4], ids[3]]);
      await create();
      const second = await store.history({ type: 'Patient' }, { count: 2, cursor: first.next });
      assert.deepEqual(second.entries.map((v) => v.id), [ids[2], ids[1]]);
      const third = await store.history({ type: 'Patient' }, { count: 2, cursor: second.next });
      assert.deepEqual(third.entries.map((v) => v.id), [ids[0]]);
      assert.equal(third.next, undefined);
      await expectFhirError(store.history({}, { count: 2, cursor: '{"$gt":1}' }), 'invalid');
    });

    it('instance history has a total; system history spans types; _since filters', async () => {
      const id = await create();
      clock += 60_000;
      await store.commit([{ kind: 'update', type: 'Patient', id, resource: patient({ id }) }]);
      await store.commit([{ kind: 'create', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } as Observation }]);
      const instance = await store.history({ type: 'Patient', id }, { count: 1 });
      assert.equal(instance.total, 2);
      assert.ok(instance.next);
      const system = await store.history({}, { count: 10 });
      assert.deepEqual(system.entries.map((v) => v.type), ['Observation', 'Patient', 'Patient']);
      const since = await store.history({}, { count: 10, since: '2026-01-01T00:00:30.000Z' });
      assert.equal(since.entries.length, 2);
    });

    it('_at gives the versions current at an instant, deletes included', async () => {
      const a = await create();
      const b = await create();
      clock += 10_000; // 00:00:10
      await store.commit([{ kind: 'update', type: 'Patient', id: a, resource: patient({ id: a, gender: 'male' }) }]);
      clock += 10_000; // 00:00:20
      await store.commit([{ kind: 'delete', type: 'Patient', id: b }]);
      const at = (instant: string) => store.history({ type: 'Patient' }, { count: 10, at: instant }).then((p) => p.entries.map((v) => `${v.id === a ? 'a' : 'b'}${v.versionId}`).sort());
      assert.deepEqual(await at('2026-01-01T00:00:05.000Z'), ['a1', 'b1']);
      assert.deepEqual(await at('2026-01-01T00:00:15.000Z'), ['a2', 'b1']);
      assert.deepEqual(await at('2026-01-01T00:00:25.000Z'), ['a2', 'b2']);
    });
  });

  describe('atomicity without transactions (journaled commits)', () => {
    let journaled: MongoStore;
    beforeEach(async () => {
      journaled = await open({ forceJournal: true });
    });
    afterEach(() => journaled.close());

    it('a commit that fails midway is rolled back before the error is reported', async () => {
      const id = await create();
      // Another writer took version 2 behind this store's back: the commit's second write will collide.
      await db.collection('versions').insertOne({ _id: `Patient/${id}/2` as never, type: 'Patient', id, versionId: 2, lastUpdated: 'x', deleted: true, json: null, seq: -1 });
      const err = await expectFhirError(journaled.commit([
        { kind: 'create', resource: patient({ id: 'first' }) },
        { kind: 'update', type: 'Patient', id, resource: patient({ id, gender: 'male' }) },
        { kind: 'create', resource: patient({ id: 'third' }) },
      ]), 'conflict');
      assert.match(err.message, /nothing was written/);
      assert.equal(await journaled.read('Patient', 'first'), undefined);
      assert.equal(await journaled.read('Patient', 'third'), undefined);
      assert.equal((await journaled.read('Patient', id))?.versionId, '1');
      assert.equal(await db.collection('versions').countDocuments({ id: { $in: ['first', 'third'] } }), 0);
      assert.equal((await db.collection('versions').findOne({ _id: `Patient/${id}/1` as never }))?.until, undefined);
      assert.equal(await db.collection('journal').countDocuments({}), 0);
    });

    it('a successful commit leaves no journal behind', async () => {
      await journaled.commit([{ kind: 'create', resource: patient() }, { kind: 'create', resource: patient() }]);
      assert.equal(await db.collection('journal').countDocuments({}), 0);
    });

    it('a commit interrupted by a crash is rolled back when the store next opens', async () => {
      const id = await create();
      const before = await db.collection('resources').findOne({ _id: `Patient/${id}` as never });
      // What a process that died between its writes and its commit point leaves: header, entry, half the writes.
      const txn = 'crashed-commit';
      await db.collection('journal').insertMany([
        { _id: txn as never, kind: 'commit', startedAt: new Date() },
        { _id: `${txn}/0` as never, kind: 'write', txn, resource: `Patient/${id}`, before, versions: [`Patient/${id}/2`], replaced: `Patient/${id}/1` },
        { _id: `${txn}/1` as never, kind: 'write', txn, resource: 'Patient/new', before: null, versions: ['Patient/new/1'] },
      ]);
      await db.collection('versions').insertMany([
        { _id: `Patient/${id}/2` as never, type: 'Patient', id, versionId: 2, lastUpdated: '2026-01-01T00:00:09.000Z', deleted: true, json: null, seq: 100, txn },
        { _id: 'Patient/new/1' as never, type: 'Patient', id: 'new', versionId: 1, lastUpdated: '2026-01-01T00:00:09.000Z', deleted: false, json: '{}', seq: 101, txn },
      ]);
      await db.collection('versions').updateOne({ _id: `Patient/${id}/1` as never }, { $set: { until: '2026-01-01T00:00:09.000Z' } });
      await db.collection('resources').replaceOne({ _id: `Patient/${id}` as never }, { ...before, versionId: 2, deleted: true, json: null, txn });
      // Entry 1's resource write never happened: rollback must leave a document it did not write alone.
      const reopened = await open({ forceJournal: true });
      try {
        assert.equal((await reopened.read('Patient', id))?.versionId, '1');
        assert.equal((await reopened.read('Patient', id))?.deleted, false);
        assert.equal(await reopened.vread('Patient', id, '2'), undefined);
        assert.equal(await reopened.read('Patient', 'new'), undefined);
        assert.equal(await reopened.vread('Patient', 'new', '1'), undefined);
        assert.equal((await db.collection('versions').findOne({ _id: `Patient/${id}/1` as never }))?.until, undefined);
        assert.equal(await db.collection('journal').countDocuments({}), 0);
        const [next] = await reopened.commit([{ kind: 'update', type: 'Patient', id, resource: patient({ id }) }]);
        assert.equal(next.version?.versionId, '2');
      } finally {
        await reopened.close();
      }
    });

  });
});
