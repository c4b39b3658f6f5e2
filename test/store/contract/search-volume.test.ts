import assert from 'node:assert/strict';
import { allPages, describeContract, put, searchQuery } from './harness';

/**
 * Chains and _has whose intermediate results run past a thousand ids, and OR lists of a thousand values: every
 * match is found, none dropped by a cap on an intermediate step. One type keeps the data small: each patient's
 * `link` refers to the next patient, around a ring. https://hl7.org/fhir/R4/search.html#chaining, #has
 */

const PATIENTS = 1100;
const pad = (i: number) => String(i).padStart(4, '0');
const id = (i: number) => `vp${pad(i % PATIENTS)}`;

describeContract('search: chains and _has past a thousand intermediate ids', (c) => {
  before(async function () {
    this.timeout(900_000);
    const patients = Array.from({ length: PATIENTS }, (_, i) => ({
      resourceType: 'Patient', id: id(i), gender: i % 2 ? 'male' : 'female', name: [{ family: 'Volym' }],
      link: [{ other: { reference: `Patient/${id(i + 1)}` }, type: 'seealso' }],
    }));
    for (let i = 0; i < PATIENTS; i += 275) await put(c.store, ...patients.slice(i, i + 275));
  });

  const count = async (q: string) => (await c.store.search(searchQuery('Patient', `${q}&_count=0&_total=accurate`))).total;
  const every = async (q: string) => (await allPages(c.store, searchQuery('Patient', `${q}&_count=400`))).map((v) => v.id);

  it('a chain through 1100 targets', async function () {
    this.timeout(300_000);
    const found = await every('link:Patient.family=volym');
    assert.equal(found.length, PATIENTS);
    assert.equal(new Set(found).size, PATIENTS);
    assert.equal(await count('link:Patient.gender=male'), PATIENTS / 2, 'those linking to a male patient');
  });

  it('_has over 1100 sources, and nested', async function () {
    this.timeout(300_000);
    assert.equal(await count('_has:Patient:link:family=volym'), PATIENTS);
    const linkedFromMales = await every('_has:Patient:link:gender=male');
    assert.equal(linkedFromMales.length, PATIENTS / 2);
    assert.ok(linkedFromMales.every((found) => Number(found.slice(2)) % 2 === 0), 'the patient after a male one is female');
    assert.equal(await count('_has:Patient:link:_has:Patient:link:family=volym'), PATIENTS);
  });

  it('an OR list of a thousand ids', async function () {
    this.timeout(300_000);
    const wanted = Array.from({ length: 1000 }, (_, i) => id(i + 50));
    const found = await every(`_id=${wanted.join(',')}`);
    assert.deepEqual(found.sort(), wanted);
  });
});
