import assert from 'node:assert/strict';
import type { FhirResource } from 'fhir/r4';
import { FhirError } from '../../../src/fhir/errors';
import type { Placement, WriteOp } from '../../../src/store/types';
import { asResource, condition, describeContract, ids, put, unique } from './harness';

/**
 * Commits of many ops (what a transaction bundle becomes): all or nothing, the failing op named by `opIndex`, and
 * `finalize` seeing every placement before anything is written. https://hl7.org/fhir/R4/http.html#trules
 */

const SYS = 'http://example.org/mrn';

const patient = (value: string, extra: Record<string, unknown> = {}): FhirResource =>
  asResource({ resourceType: 'Patient', identifier: [{ system: SYS, value }], ...extra });

describeContract('multi-op commits', (c) => {
  it('applies every op in order and answers one result per op', async () => {
    const [keep, drop] = [unique('keep'), unique('drop')];
    await put(c.store, { resourceType: 'Patient', id: keep }, { resourceType: 'Patient', id: drop });
    const tag = unique('t');
    const results = await c.store.commit([
      { kind: 'create', resource: patient(tag) },
      { kind: 'update', type: 'Patient', id: keep, resource: asResource({ resourceType: 'Patient', id: keep, active: true }) },
      { kind: 'delete', type: 'Patient', id: drop },
      { kind: 'resolve', type: 'Patient', condition: condition('Patient', `_id=${keep}`) },
    ]);
    assert.deepEqual(results.map((r) => r.outcome), ['created', 'updated', 'deleted', 'resolved']);
    assert.deepEqual(results[3].ids, [keep]);
    assert.equal((await c.store.read('Patient', drop))!.deleted, true);
    assert.equal((await c.store.read('Patient', keep))!.versionId, '2');
    assert.equal((await ids(c.store, 'Patient', `identifier=${tag}`)).length, 1);
  });

  for (const [name, failing] of [
    ['a stale If-Match', (id: string): WriteOp => ({ kind: 'update', type: 'Patient', id, ifMatch: '7', resource: asResource({ resourceType: 'Patient', id }) })],
    ['an unresolvable conditional reference', (): WriteOp => ({ kind: 'resolve', type: 'Patient', condition: condition('Patient', `identifier=${unique('nobody')}`) })],
    ['a patch of a missing resource', (): WriteOp => ({ kind: 'update', type: 'Patient', id: unique('missing'), transform: (r: FhirResource) => r })],
  ] as const) {
    it(`${name} in the last op leaves nothing written and names the op (opIndex)`, async () => {
      const [existing, doomed] = [unique('ex'), unique('doomed')];
      await put(c.store, { resourceType: 'Patient', id: existing, gender: 'female' }, { resourceType: 'Patient', id: doomed });
      const tag = unique('t');
      const before = (await c.store.history({}, { count: 1 })).entries[0];
      const ops: WriteOp[] = [
        { kind: 'create', resource: patient(tag) },
        { kind: 'update', type: 'Patient', id: existing, resource: asResource({ resourceType: 'Patient', id: existing, gender: 'male' }) },
        { kind: 'update', type: 'Patient', id: unique('new'), resource: patient(tag) },
        { kind: 'delete', type: 'Patient', id: doomed },
        failing(existing),
      ];
      await assert.rejects(c.store.commit(ops), (err: { opIndex?: number }) => {
        assert.equal(err.opIndex, 4);
        return true;
      });
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${tag}`), [], 'no create survived');
      const kept = await c.store.read('Patient', existing);
      assert.equal(kept!.versionId, '1');
      assert.equal((kept!.resource as unknown as { gender: string }).gender, 'female');
      assert.equal((await c.store.read('Patient', doomed))!.deleted, false);
      assert.equal(key((await c.store.history({}, { count: 1 })).entries[0]), key(before), 'history gained nothing');
    });
  }

  it('a failure in the first op is opIndex 0 and later ops never apply', async () => {
    const tag = unique('t');
    await assert.rejects(
      c.store.commit([
        { kind: 'resolve', type: 'Patient', condition: condition('Patient', `identifier=${unique('nobody')}`) },
        { kind: 'create', resource: patient(tag) },
      ]),
      { opIndex: 0 },
    );
    assert.deepEqual(await ids(c.store, 'Patient', `identifier=${tag}`), []);
  });

  it('a commit that fails leaves the next commit unaffected', async () => {
    const tag = unique('t');
    await assert.rejects(c.store.commit([{ kind: 'create', resource: patient(tag) }, { kind: 'update', type: 'Patient', id: unique('x'), ifMatch: '1', resource: patient(tag) }]));
    const [ok] = await c.store.commit([{ kind: 'create', resource: patient(tag) }]);
    assert.equal(ok.outcome, 'created');
    assert.deepEqual(await ids(c.store, 'Patient', `identifier=${tag}`), [ok.version!.id]);
  });

  it('conditions are resolved against the state at the start of the commit, not earlier ops\' writes', async () => {
    // docs/store.md (phase 1, Plan) and FHIR transaction processing (https://hl7.org/fhir/R4/http.html#trules):
    // every condition is resolved before anything is written.
    const tag = unique('t');
    const results = await c.store.commit([
      { kind: 'create', resource: patient(tag) },
      { kind: 'create', resource: patient(tag), ifNoneExist: condition('Patient', `identifier=${tag}`) },
    ]);
    assert.deepEqual(results.map((r) => r.outcome), ['created', 'created']);
    assert.equal((await ids(c.store, 'Patient', `identifier=${tag}`)).length, 2);
  });

  describe('finalize', () => {
    it('sees one placement per op, in op order, before anything is written', async () => {
      const existingTag = unique('e');
      const [existing] = await c.store.commit([{ kind: 'create', resource: patient(existingTag) }]);
      const [updated, deletedNothing] = [unique('u'), unique('none')];
      let seen: Placement[] = [];
      let readDuringFinalize: unknown = 'not called';
      const results = await c.store.commit([
        { kind: 'create', resource: patient(unique('n')) },
        { kind: 'create', resource: patient(existingTag), ifNoneExist: condition('Patient', `identifier=${existingTag}`) },
        { kind: 'update', type: 'Patient', id: updated, resource: asResource({ resourceType: 'Patient', id: updated }) },
        { kind: 'delete', type: 'Patient', id: deletedNothing },
        { kind: 'resolve', type: 'Patient', condition: condition('Patient', `identifier=${existingTag}`) },
      ], {
        finalize: (placements) => {
          seen = placements.map((p) => ({ ...p }));
          readDuringFinalize = placements[0].id;
        },
      });
      assert.equal(seen.length, 5);
      assert.deepEqual(seen.map((p) => p.type), ['Patient', 'Patient', 'Patient', 'Patient', 'Patient']);
      assert.deepEqual(seen.map((p) => p.writes), [true, false, true, false, false]);
      assert.equal(seen[0].id, results[0].version!.id, 'a create\'s placement is the id it takes');
      assert.equal(readDuringFinalize, results[0].version!.id);
      assert.equal(seen[1].id, existing.version!.id, 'a matched conditional create points at the match');
      assert.equal(seen[2].id, updated);
      assert.equal(seen[4].id, existing.version!.id, 'a resolve points at the resource found');
    });

    it('changes finalize makes to resources are what gets stored (reference rewriting)', async () => {
      const tag = unique('org');
      const orgPlaceholder = 'urn:uuid:3b7c1b0a-0000-4000-8000-000000000001';
      const obs = asResource({ resourceType: 'Observation', status: 'final', code: { text: tag }, performer: [{ reference: orgPlaceholder }] });
      const results = await c.store.commit([
        { kind: 'create', resource: asResource({ resourceType: 'Organization', name: tag }) },
        { kind: 'create', resource: obs },
      ], {
        finalize: (placements) => {
          (obs as unknown as { performer: Array<{ reference: string }> }).performer[0].reference = `Organization/${placements[0].id}`;
        },
      });
      const orgId = results[0].version!.id;
      const stored = (await c.store.read('Observation', results[1].version!.id))!;
      const body = (stored.resource ?? JSON.parse(stored.json!)) as unknown as { performer: Array<{ reference: string }> };
      assert.equal(body.performer[0].reference, `Organization/${orgId}`);
      assert.deepEqual(await ids(c.store, 'Observation', `performer=Organization/${orgId}`), [results[1].version!.id], 'indexed after finalize');
    });

    it('a finalize that throws aborts the commit with its error: nothing written', async () => {
      const tag = unique('t');
      await assert.rejects(
        c.store.commit([{ kind: 'create', resource: patient(tag) }], { finalize: () => { throw new FhirError('invalid', 'rewrite failed'); } }),
        { category: 'invalid', message: 'rewrite failed' },
      );
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${tag}`), []);
    });
  });
});

function key(v: { type: string; id: string; versionId: string }): string {
  return `${v.type}/${v.id}/${v.versionId}`;
}
