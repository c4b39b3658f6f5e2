import assert from 'node:assert/strict';
import { describeContract, ids, patientCompartmentFilter, put, refs, remove } from './harness';
import { LOINC, seedSearchData } from './search-data';

/**
 * Searches across references: chains to any depth, nested _has, system search over several types (_type) and
 * Patient compartments. https://hl7.org/fhir/R4/search.html#chaining, #has, #all;
 * https://hl7.org/fhir/R4/compartmentdefinition.html
 */

describeContract('search: chains, _has, _type, compartments', (c) => {
  before(async () => {
    await seedSearchData(c);
  });
  const search = (type: string, q: string) => ids(c.store, type, q);

  describe('chains', () => {
    it('one link, with and without a :[type]', async () => {
      assert.deepEqual(await search('Observation', 'subject:Patient.gender=male'), ['obs-sys', 'obs-wt2']);
      assert.deepEqual(await search('Observation', 'subject:Patient.name=aström'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await search('RiskAssessment', 'subject.gender=male'), ['ra2'], 'over every target that has the parameter');
      assert.deepEqual(await search('Encounter', 'subject.family=andersson'), ['enc2']);
      assert.deepEqual(await search('Observation', 'subject:Patient.gender=female&status=final'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await search('Observation', 'subject:Patient.gender=other'), [], 'pat-4 has no observations');
    });

    it('two and three links', async () => {
      assert.deepEqual(await search('Observation', 'subject:Patient.organization.name=akademiska'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await search('Observation', 'subject:Patient.organization.partof.name=region'), ['obs-bp', 'obs-wt1']);
      assert.deepEqual(await search('Observation', 'subject:Patient.organization.partof.name=bracke'), []);
      assert.deepEqual(await search('Encounter', 'subject:Patient.general-practitioner.name=lind'), ['enc1']);
    });

    it('every value of the chained parameter, ORed', async () => {
      assert.deepEqual(await search('Observation', 'subject:Patient.identifier=198501015678,197005141234'), ['obs-bp', 'obs-sys', 'obs-wt1', 'obs-wt2']);
    });

    it('a chain ending in _has', async () => {
      assert.deepEqual(await search('Observation', 'subject:Patient._has:RiskAssessment:subject:probability=gt0.5'), ['obs-sys', 'obs-wt2']);
    });
  });

  describe('_has', () => {
    it('resources that matching resources of another type refer to', async () => {
      assert.deepEqual(await search('Patient', `_has:Observation:subject:code=${LOINC}|29463-7`), ['pat-1', 'pat-2']);
      assert.deepEqual(await search('Patient', '_has:Observation:patient:code=2093-3'), [], 'by identifier or to another server only');
      assert.deepEqual(await search('Practitioner', '_has:Patient:general-practitioner:gender=female'), ['dr1']);
      assert.deepEqual(await search('Patient', 'gender=male&_has:Observation:subject:code=29463-7'), ['pat-2']);
      assert.deepEqual(await search('Patient', '_has:Observation:subject:code=29463-7&_has:RiskAssessment:subject:probability=lt0.5'), ['pat-1']);
    });

    it('nested _has and _has with a chain inside', async () => {
      assert.deepEqual(await search('Organization', '_has:Patient:organization:_has:Observation:subject:code=8480-6'), ['org-b']);
      assert.deepEqual(await search('Organization', '_has:Organization:partof:_has:Patient:organization:_has:Observation:subject:code=85354-9'), ['org-region']);
      assert.deepEqual(await search('Patient', '_has:Observation:subject:subject:Patient.gender=female'), ['pat-1']);
    });
  });

  describe('_type (system search)', () => {
    it('over the named types, with parameters common to them', async () => {
      assert.deepEqual(await refs(c.store, undefined, '_type=Patient,Observation&_id=pat-1,obs-bp,dr1'), ['Observation/obs-bp', 'Patient/pat-1']);
      assert.deepEqual(await refs(c.store, undefined, '_type=Patient,Practitioner&name=lind,berg'), ['Patient/pat-3', 'Practitioner/dr1']);
      assert.deepEqual(await refs(c.store, undefined, '_type=Group,ValueSet'), ['Group/grp1', 'ValueSet/vs1', 'ValueSet/vs2', 'ValueSet/vs3', 'ValueSet/vs4']);
    });

    it('over every type when _type is absent', async () => {
      assert.deepEqual(await refs(c.store, undefined, '_id=pat-1,dr1,enc2'), ['Encounter/enc2', 'Patient/pat-1', 'Practitioner/dr1']);
    });
  });

  describe('compartment', () => {
    it('the resources of one patient\'s compartment, and the patient', async () => {
      const types = ['Patient', 'Observation', 'Encounter', 'RiskAssessment', 'QuestionnaireResponse', 'Organization'];
      const inPat1 = await refs(c.store, undefined, `_type=${types.join(',')}`, [patientCompartmentFilter('pat-1', types)]);
      assert.deepEqual(inPat1, ['Encounter/enc1', 'Observation/obs-bp', 'Observation/obs-wt1', 'Patient/pat-1', 'QuestionnaireResponse/qr1', 'RiskAssessment/ra1']);
      const inPat3 = await refs(c.store, undefined, `_type=${types.join(',')}`, [patientCompartmentFilter('pat-3', types)]);
      assert.deepEqual(inPat3, ['Patient/pat-3', 'RiskAssessment/ra3']);
    });

    it('with other filters, on one type', async () => {
      const only = (id: string, q: string) => refs(c.store, 'Observation', q, [patientCompartmentFilter(id, ['Observation'])]);
      assert.deepEqual(await only('pat-1', 'code=29463-7'), ['Observation/obs-wt1']);
      assert.deepEqual(await only('pat-2', ''), ['Observation/obs-sys', 'Observation/obs-wt2']);
      assert.deepEqual(await only('pat-del', ''), []);
      assert.deepEqual(await only('nobody', ''), []);
    });
  });
});

describeContract('search: references after deletes and updates', (c) => {
  before(async () => {
    await seedSearchData(c);
  });
  const search = (type: string, q: string) => ids(c.store, type, q);

  it('a deleted chain target no longer matches; a deleted _has source no longer counts', async () => {
    assert.deepEqual(await search('Observation', 'subject:Patient.organization.partof.name=region'), ['obs-bp', 'obs-wt1']);
    await remove(c.store, 'Organization', 'org-region');
    assert.deepEqual(await search('Observation', 'subject:Patient.organization.partof.name=region'), []);
    assert.deepEqual(await search('Patient', '_has:Observation:subject:code=29463-7'), ['pat-1', 'pat-2']);
    await remove(c.store, 'Observation', 'obs-wt2');
    assert.deepEqual(await search('Patient', '_has:Observation:subject:code=29463-7'), ['pat-1']);
  });

  it('a reference changed by an update follows the new target', async () => {
    await put(c.store, { resourceType: 'Observation', id: 'obs-sys', status: 'final', code: { coding: [{ system: LOINC, code: '8480-6' }] }, subject: { reference: 'Patient/pat-4' } });
    assert.deepEqual(await search('Observation', 'subject:Patient.gender=other'), ['obs-sys']);
    assert.deepEqual(await search('Organization', '_has:Patient:organization:_has:Observation:subject:code=8480-6'), ['org-a']);
    assert.deepEqual(await refs(c.store, 'Observation', '', [patientCompartmentFilter('pat-2', ['Observation'])]), []);
  });
});
