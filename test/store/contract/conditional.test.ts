import assert from 'node:assert/strict';
import type { FhirResource } from 'fhir/r4';
import { asResource, condition, describeContract, ids, put, unique, type Contract } from './harness';

/**
 * Preconditions resolved inside the commit: conditional create (If-None-Exist), conditional update and delete,
 * If-Match, conditional references (`resolve`) and patch-style `transform`.
 * https://hl7.org/fhir/R4/http.html#ccreate, #cond-update, #cdelete, #concurrency
 */

const SYS = 'http://example.org/mrn';

/** `n` patients sharing one identifier value; returns the value and their ids. */
async function patientsWith(c: Contract, n: number, extra: Record<string, unknown> = {}): Promise<{ value: string; ids: string[] }> {
  const value = unique('mrn');
  const made = Array.from({ length: n }, () => ({ resourceType: 'Patient', id: unique('p'), identifier: [{ system: SYS, value }], ...extra }));
  if (n > 0) await put(c.store, ...made);
  return { value, ids: made.map((p) => p.id).sort() };
}

const patientWith = (value: string, extra: Record<string, unknown> = {}): FhirResource =>
  asResource({ resourceType: 'Patient', identifier: [{ system: SYS, value }], ...extra });

describeContract('conditional create, update, delete, If-Match, resolve, transform', (c) => {
  describe('conditional create (ifNoneExist)', () => {
    it('no match: creates', async () => {
      const { value } = await patientsWith(c, 0);
      const [r] = await c.store.commit([{ kind: 'create', resource: patientWith(value), ifNoneExist: condition('Patient', `identifier=${SYS}|${value}`) }]);
      assert.equal(r.outcome, 'created');
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${value}`), [r.version!.id]);
    });

    it('one match: writes nothing and answers the existing version', async () => {
      const { value, ids: [existing] } = await patientsWith(c, 1);
      const [r] = await c.store.commit([{ kind: 'create', resource: patientWith(value, { gender: 'male' }), ifNoneExist: condition('Patient', `identifier=${value}`) }]);
      assert.equal(r.outcome, 'existing');
      assert.deepEqual(r.ids, [existing]);
      assert.equal(r.version?.id, existing);
      assert.equal(r.version?.versionId, '1');
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${value}`), [existing]);
      assert.equal((await c.store.read('Patient', existing))!.versionId, '1');
    });

    it('several matches: 412 (precondition), nothing written', async () => {
      const { value, ids: both } = await patientsWith(c, 2);
      await assert.rejects(
        c.store.commit([{ kind: 'create', resource: patientWith(value), ifNoneExist: condition('Patient', `identifier=${value}`) }]),
        { category: 'precondition', opIndex: 0 },
      );
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${value}`), both);
    });

    it('a deleted match does not count', async () => {
      const { value, ids: [gone] } = await patientsWith(c, 1);
      await c.store.commit([{ kind: 'delete', type: 'Patient', id: gone }]);
      const [r] = await c.store.commit([{ kind: 'create', resource: patientWith(value), ifNoneExist: condition('Patient', `identifier=${value}`) }]);
      assert.equal(r.outcome, 'created');
      assert.notEqual(r.version!.id, gone);
    });

    it('concurrent conditional creates of one identifier create exactly one resource', async () => {
      const { value } = await patientsWith(c, 0);
      const attempts = Array.from({ length: 6 }, () =>
        c.store.commit([{ kind: 'create', resource: patientWith(value), ifNoneExist: condition('Patient', `identifier=${SYS}|${value}`) }]));
      const results = await Promise.allSettled(attempts);
      const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value[0].outcome : 'rejected'));
      assert.equal(outcomes.filter((o) => o === 'created').length, 1, outcomes.join(','));
      assert.equal((await ids(c.store, 'Patient', `identifier=${value}`)).length, 1);
    });
  });

  describe('conditional update', () => {
    it('no match: creates, with the body id when it has one', async () => {
      const { value } = await patientsWith(c, 0);
      const [r] = await c.store.commit([{ kind: 'update', type: 'Patient', condition: condition('Patient', `identifier=${value}`), resource: patientWith(value) }]);
      assert.equal(r.outcome, 'created');
      assert.equal(r.version!.versionId, '1');
      const id = unique('body');
      const [withId] = await c.store.commit([{ kind: 'update', type: 'Patient', condition: condition('Patient', `identifier=${unique('none')}`), resource: asResource({ resourceType: 'Patient', id }) }]);
      assert.equal(withId.outcome, 'created');
      assert.equal(withId.version!.id, id);
    });

    it('one match: updates it to version 2', async () => {
      const { value, ids: [id] } = await patientsWith(c, 1);
      const [r] = await c.store.commit([{ kind: 'update', type: 'Patient', condition: condition('Patient', `identifier=${value}`), resource: patientWith(value, { gender: 'female' }) }]);
      assert.equal(r.outcome, 'updated');
      assert.equal(r.version!.id, id);
      assert.equal(r.version!.versionId, '2');
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${value}&gender=female`), [id]);
    });

    it('one match with a different body id: invalid, nothing written', async () => {
      const { value, ids: [id] } = await patientsWith(c, 1);
      await assert.rejects(
        c.store.commit([{ kind: 'update', type: 'Patient', condition: condition('Patient', `identifier=${value}`), resource: asResource({ resourceType: 'Patient', id: unique('other') }) }]),
        { category: 'invalid', opIndex: 0 },
      );
      assert.equal((await c.store.read('Patient', id))!.versionId, '1');
    });

    it('several matches: 412, nothing written', async () => {
      const { value, ids: both } = await patientsWith(c, 2);
      await assert.rejects(
        c.store.commit([{ kind: 'update', type: 'Patient', condition: condition('Patient', `identifier=${value}`), resource: patientWith(value, { gender: 'male' }) }]),
        { category: 'precondition' },
      );
      for (const id of both) assert.equal((await c.store.read('Patient', id))!.versionId, '1');
    });
  });

  describe('conditional delete (maxMatches)', () => {
    it('deletes every match up to maxMatches and names them', async () => {
      const { value, ids: three } = await patientsWith(c, 3);
      const [r] = await c.store.commit([{ kind: 'delete', type: 'Patient', condition: condition('Patient', `identifier=${value}`), maxMatches: 3 }]);
      assert.equal(r.outcome, 'deleted');
      assert.deepEqual([...r.ids].sort(), three);
      for (const id of three) assert.equal((await c.store.read('Patient', id))!.deleted, true);
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${value}`), []);
    });

    it('more matches than maxMatches: 412 and nothing deleted', async () => {
      const { value, ids: three } = await patientsWith(c, 3);
      await assert.rejects(
        c.store.commit([{ kind: 'delete', type: 'Patient', condition: condition('Patient', `identifier=${value}`), maxMatches: 2 }]),
        { category: 'precondition', opIndex: 0 },
      );
      assert.deepEqual(await ids(c.store, 'Patient', `identifier=${value}`), three);
    });

    it('maxMatches defaults to one', async () => {
      const { value } = await patientsWith(c, 2);
      await assert.rejects(c.store.commit([{ kind: 'delete', type: 'Patient', condition: condition('Patient', `identifier=${value}`) }]), { category: 'precondition' });
      const single = await patientsWith(c, 1);
      const [r] = await c.store.commit([{ kind: 'delete', type: 'Patient', condition: condition('Patient', `identifier=${single.value}`) }]);
      assert.deepEqual(r.ids, single.ids);
    });

    it('no match: noop', async () => {
      const [r] = await c.store.commit([{ kind: 'delete', type: 'Patient', condition: condition('Patient', `identifier=${unique('none')}`), maxMatches: 5 }]);
      assert.equal(r.outcome, 'noop');
      assert.deepEqual(r.ids, []);
    });
  });

  describe('If-Match', () => {
    it('update with the current version applies; a stale one is 412 and writes nothing', async () => {
      const id = unique('im');
      await put(c.store, { resourceType: 'Patient', id });
      await put(c.store, { resourceType: 'Patient', id, active: true });
      await assert.rejects(c.store.commit([{ kind: 'update', type: 'Patient', id, ifMatch: '1', resource: asResource({ resourceType: 'Patient', id, active: false }) }]), { category: 'precondition', opIndex: 0 });
      const [r] = await c.store.commit([{ kind: 'update', type: 'Patient', id, ifMatch: '2', resource: asResource({ resourceType: 'Patient', id, active: false }) }]);
      assert.equal(r.version!.versionId, '3');
    });

    it('If-Match on a missing or deleted resource is 412', async () => {
      const id = unique('im');
      await assert.rejects(c.store.commit([{ kind: 'update', type: 'Patient', id, ifMatch: '1', resource: asResource({ resourceType: 'Patient', id }) }]), { category: 'precondition' });
      assert.equal(await c.store.read('Patient', id), undefined);
      await put(c.store, { resourceType: 'Patient', id });
      await c.store.commit([{ kind: 'delete', type: 'Patient', id }]);
      await assert.rejects(c.store.commit([{ kind: 'update', type: 'Patient', id, ifMatch: '2', resource: asResource({ resourceType: 'Patient', id }) }]), { category: 'precondition' });
    });

    it('delete with If-Match: stale is 412, current deletes', async () => {
      const id = unique('imd');
      await put(c.store, { resourceType: 'Patient', id });
      await put(c.store, { resourceType: 'Patient', id, active: true });
      await assert.rejects(c.store.commit([{ kind: 'delete', type: 'Patient', id, ifMatch: '1' }]), { category: 'precondition' });
      assert.equal((await c.store.read('Patient', id))!.deleted, false);
      const [r] = await c.store.commit([{ kind: 'delete', type: 'Patient', id, ifMatch: '2' }]);
      assert.equal(r.outcome, 'deleted');
    });

    it('concurrent If-Match updates of one version: exactly one wins', async () => {
      const id = unique('race');
      await put(c.store, { resourceType: 'Patient', id });
      const tries = Array.from({ length: 10 }, (_, i) =>
        c.store.commit([{ kind: 'update', type: 'Patient', id, ifMatch: '1', resource: asResource({ resourceType: 'Patient', id, birthDate: `19${50 + i}` }) }]));
      const results = await Promise.allSettled(tries);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { category: string }).category, 'precondition');
      assert.equal((await c.store.read('Patient', id))!.versionId, '2');
    });
  });

  describe('resolve (conditional references)', () => {
    it('exactly one match: resolved with its id; none: not-found; several: 412', async () => {
      const one = await patientsWith(c, 1);
      const [r] = await c.store.commit([{ kind: 'resolve', type: 'Patient', condition: condition('Patient', `identifier=${SYS}|${one.value}`) }]);
      assert.equal(r.outcome, 'resolved');
      assert.deepEqual(r.ids, one.ids);
      await assert.rejects(c.store.commit([{ kind: 'resolve', type: 'Patient', condition: condition('Patient', `identifier=${unique('none')}`) }]), { category: 'not-found', opIndex: 0 });
      const two = await patientsWith(c, 2);
      await assert.rejects(c.store.commit([{ kind: 'resolve', type: 'Patient', condition: condition('Patient', `identifier=${two.value}`) }]), { category: 'precondition', opIndex: 0 });
    });

    it('writes nothing', async () => {
      const one = await patientsWith(c, 1);
      await c.store.commit([{ kind: 'resolve', type: 'Patient', condition: condition('Patient', `identifier=${one.value}`) }]);
      const history = await c.store.history({ type: 'Patient', id: one.ids[0] }, { count: 10 });
      assert.equal(history.entries.length, 1);
    });
  });

  describe('transform (patch)', () => {
    it('computes the new version from the current one', async () => {
      const id = unique('tr');
      await put(c.store, { resourceType: 'Patient', id, birthDate: '1970' });
      const [r] = await c.store.commit([{
        kind: 'update', type: 'Patient', id,
        transform: (current) => ({ ...current, gender: 'female', birthDate: `${(current as unknown as { birthDate: string }).birthDate}-05` } as FhirResource),
      }]);
      assert.equal(r.outcome, 'updated');
      const body = (await c.store.read('Patient', id))!.resource as unknown as Record<string, unknown>;
      assert.equal(body.birthDate, '1970-05');
      assert.equal(body.gender, 'female');
      assert.deepEqual(await ids(c.store, 'Patient', `_id=${id}&birthdate=1970-05`), [id], 'the index follows the transformed resource');
    });

    it('a missing resource is not-found, a deleted one deleted', async () => {
      const id = unique('tr');
      const identity = (r: FhirResource) => r;
      await assert.rejects(c.store.commit([{ kind: 'update', type: 'Patient', id, transform: identity }]), { category: 'not-found' });
      await put(c.store, { resourceType: 'Patient', id });
      await c.store.commit([{ kind: 'delete', type: 'Patient', id }]);
      await assert.rejects(c.store.commit([{ kind: 'update', type: 'Patient', id, transform: identity }]), { category: 'deleted' });
    });

    it('with a stale If-Match: 412 and the transform never applies', async () => {
      const id = unique('tr');
      await put(c.store, { resourceType: 'Patient', id });
      await put(c.store, { resourceType: 'Patient', id, active: true });
      await assert.rejects(c.store.commit([{ kind: 'update', type: 'Patient', id, ifMatch: '1', transform: (r) => ({ ...r, active: false } as FhirResource) }]), { category: 'precondition' });
      assert.equal((await c.store.read('Patient', id))!.versionId, '2');
    });
  });
});
