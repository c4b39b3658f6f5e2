import assert from 'node:assert/strict';
import type { SearchParameter } from 'fhir/r4';
import { SearchParameters } from '../../../src/search/parameters';
import { allPages, describeContract, put, searchQuery } from './harness';

/**
 * Custom search parameters through the port: `reindex` rebuilds the index of the named types with a new parameter
 * set, after which `searchParameters()` answers it, queries parsed against it search, sort and chain with the custom
 * parameter, and later writes are indexed with it. https://hl7.org/fhir/R4/searchparameter.html
 */

const EXTENSION = 'https://fhir.region.se/StructureDefinition/municipality-code';

const municipality: SearchParameter = {
  resourceType: 'SearchParameter', url: 'https://fhir.region.se/SearchParameter/patient-municipality', name: 'municipality',
  status: 'active', description: 'Municipality code of the address', code: 'municipality', base: ['Patient'], type: 'token',
  expression: `Patient.address.extension.where(url = '${EXTENSION}').value`,
};

const living = (id: string, code: string) => ({
  resourceType: 'Patient', id, address: [{ city: 'Halmstad', extension: [{ url: EXTENSION, valueCoding: { system: 'urn:oid:1.2.752.129.2.2.1.18', code } }] }],
});

describeContract('custom search parameters and reindex', (c) => {
  before(async () => {
    await put(c.store, living('halmstad', '1380'), living('varberg', '1383'), { resourceType: 'Patient', id: 'nowhere' });
    await put(c.store, { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/varberg' } });
  });

  const ids = async (type: string, q: string) =>
    (await allPages(c.store, searchQuery(type, q, c.store.searchParameters()))).map((v) => v.id).sort();

  it('is unknown before the reindex', async () => {
    assert.equal(c.store.searchParameters().support('Patient', 'municipality'), undefined);
    assert.throws(() => searchQuery('Patient', 'municipality=1380', c.store.searchParameters()), { category: 'invalid' });
  });

  it('after a reindex of the type: searches, :missing, sorts and chains; every current resource was rebuilt', async () => {
    const { resources } = await c.store.reindex((current) => ({
      parameters: current.replacing(['Patient'], [{ type: 'Patient', parameter: municipality }]), types: ['Patient'],
    }));
    assert.equal(resources, 3);
    assert.ok(c.store.searchParameters().support('Patient', 'municipality'));
    assert.deepEqual(await ids('Patient', 'municipality=1380'), ['halmstad']);
    assert.deepEqual(await ids('Patient', 'municipality=urn:oid:1.2.752.129.2.2.1.18|1383'), ['varberg']);
    assert.deepEqual(await ids('Patient', 'municipality:missing=true'), ['nowhere']);
    const sorted = await allPages(c.store, searchQuery('Patient', '_sort=-municipality', c.store.searchParameters()));
    assert.deepEqual(sorted.map((v) => v.id), ['varberg', 'halmstad', 'nowhere']);
    assert.deepEqual(await ids('Observation', 'subject:Patient.municipality=1383'), ['o1']);
    assert.deepEqual(await ids('Patient', 'address-city=halmstad'), ['halmstad', 'varberg'], 'official parameters still answer');
  });

  it('writes after the reindex are indexed with the custom parameter', async () => {
    await put(c.store, living('later', '1380'));
    assert.deepEqual(await ids('Patient', 'municipality=1380'), ['halmstad', 'later']);
  });

  it('a reindex back to the official set removes it', async () => {
    await c.store.reindex(() => ({ parameters: SearchParameters.official(), types: ['Patient'] }));
    assert.equal(c.store.searchParameters().support('Patient', 'municipality'), undefined);
    assert.deepEqual(await ids('Patient', 'address-city=halmstad'), ['halmstad', 'later', 'varberg']);
  });
});
