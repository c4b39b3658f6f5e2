import type { Contract } from './harness';
import { put, remove } from './harness';

/**
 * A small, hand-written population for the search cases: a few of each type, chosen so that every parameter type,
 * prefix and modifier has a resource that matches and one that must not. Each case names the ids it expects.
 */

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const PNR = 'urn:oid:1.2.752.129.2.1.3.1';
export const MRN = 'http://example.org/mrn';
export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

const coding = (code: string, display?: string) => ({ coding: [{ system: LOINC, code, ...(display && { display }) }] });
const ucum = (value: number, code: string) => ({ value, unit: code, system: UCUM, code });

export const ORGANIZATIONS = [
  { resourceType: 'Organization', id: 'org-region', name: 'Region Skåne' },
  { resourceType: 'Organization', id: 'org-a', name: 'Akademiska sjukhuset', partOf: { reference: 'Organization/org-region' } },
  { resourceType: 'Organization', id: 'org-b', name: 'Bräcke Diakoni' },
  // Characters that mean something to a query language, in values that must still match as plain values.
  { resourceType: 'Organization', id: 'org-odd', name: 'A.B $Corp {x}', identifier: [{ system: 'urn:x.y$z', value: '$ne' }] },
];

export const PATIENTS = [
  {
    resourceType: 'Patient', id: 'pat-1', active: true, gender: 'female', birthDate: '1970-05-14',
    name: [{ family: 'Åström', given: ['Karin', 'Maria'] }],
    identifier: [{ system: PNR, value: '197005141234', type: { coding: [{ system: V2_0203, code: 'MR' }] } }],
    telecom: [{ system: 'phone', value: '070-111 22' }, { system: 'email', value: 'karin@example.se' }],
    address: [{ city: 'Malmö' }],
    generalPractitioner: [{ reference: 'Practitioner/dr1' }], managingOrganization: { reference: 'Organization/org-a' },
  },
  {
    resourceType: 'Patient', id: 'pat-2', active: false, gender: 'male', birthDate: '1985',
    name: [{ family: 'Andersson', given: ['Per'] }],
    identifier: [{ system: PNR, value: '198501015678' }, { system: MRN, value: 'MRN-2' }],
    address: [{ city: 'Halmstad' }], managingOrganization: { reference: 'Organization/org-b' },
  },
  { resourceType: 'Patient', id: 'pat-3', birthDate: '1990-02', name: [{ family: 'Berg' }] },
  {
    resourceType: 'Patient', id: 'pat-4', gender: 'other', birthDate: '2001-12-31',
    name: [{ family: 'von Essen', given: ['Lisa'] }, { use: 'nickname', text: 'Lissi' }],
    managingOrganization: { reference: 'Organization/org-a' },
  },
  { resourceType: 'Patient', id: 'pat-upd', name: [{ family: 'Old' }], gender: 'female' },
  { resourceType: 'Patient', id: 'pat-del', gender: 'female', name: [{ family: 'Gone' }] },
];

/** Every live Patient after `seedSearchData`. */
export const LIVE_PATIENTS = ['pat-1', 'pat-2', 'pat-3', 'pat-4', 'pat-upd'];

export const OBSERVATIONS = [
  {
    resourceType: 'Observation', id: 'obs-bp', status: 'final', code: coding('85354-9', 'Blood pressure panel'),
    subject: { reference: 'Patient/pat-1' }, effectiveDateTime: '2024-03-01T10:00:00Z', performer: [{ reference: 'Practitioner/dr1' }],
    component: [
      { code: coding('8480-6'), valueQuantity: ucum(120, 'mm[Hg]') },
      { code: coding('8462-4'), valueQuantity: ucum(80, 'mm[Hg]') },
    ],
  },
  {
    resourceType: 'Observation', id: 'obs-wt1', status: 'final', code: coding('29463-7', 'Body weight'),
    subject: { reference: 'Patient/pat-1' }, effectivePeriod: { start: '2024-01-01', end: '2024-01-31' }, valueQuantity: ucum(72.5, 'kg'),
  },
  {
    resourceType: 'Observation', id: 'obs-sys', status: 'preliminary', code: coding('8480-6'), subject: { reference: 'Patient/pat-2' },
    effectiveDateTime: '2023-06-15', valueQuantity: ucum(140, 'mm[Hg]'),
  },
  {
    resourceType: 'Observation', id: 'obs-wt2', status: 'final', code: coding('29463-7'), subject: { reference: 'Patient/pat-2' },
    effectiveDateTime: '2023-07-01T23:30:00+02:00', valueQuantity: { value: 90, unit: 'kg' },
  },
  {
    resourceType: 'Observation', id: 'obs-chol', status: 'final', code: coding('2093-3'),
    subject: { identifier: { system: PNR, value: '197005141234' } },
  },
  {
    resourceType: 'Observation', id: 'obs-ext', status: 'final', code: { ...coding('2093-3'), text: 'Cholesterol total' },
    subject: { reference: 'https://other.example/fhir/Patient/x9' },
  },
  {
    resourceType: 'Observation', id: 'obs-grp', status: 'amended', code: coding('29463-7'), subject: { reference: 'Group/grp1' },
    effectiveInstant: '2022-05-05T05:05:05.555Z', valueQuantity: ucum(5.4, 'g'),
  },
];

export const OTHERS = [
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Lind', given: ['Eva'] }] },
  { resourceType: 'Group', id: 'grp1', type: 'person', actual: true },
  { resourceType: 'RiskAssessment', id: 'ra1', status: 'final', subject: { reference: 'Patient/pat-1' }, prediction: [{ probabilityDecimal: 0.25 }] },
  { resourceType: 'RiskAssessment', id: 'ra2', status: 'final', subject: { reference: 'Patient/pat-2' }, prediction: [{ probabilityDecimal: 0.8 }] },
  { resourceType: 'RiskAssessment', id: 'ra3', status: 'final', subject: { reference: 'Patient/pat-3' } },
  { resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://acme.org/fhir/ValueSet/123' },
  { resourceType: 'ValueSet', id: 'vs2', status: 'active', url: 'http://acme.org/fhir/ValueSet/456' },
  { resourceType: 'ValueSet', id: 'vs3', status: 'draft', url: 'http://other.org/vs' },
  { resourceType: 'ValueSet', id: 'vs4', status: 'draft' },
  { resourceType: 'QuestionnaireResponse', id: 'qr1', status: 'completed', questionnaire: 'http://acme.org/Questionnaire/q1|2.0', subject: { reference: 'Patient/pat-1' } },
  { resourceType: 'QuestionnaireResponse', id: 'qr2', status: 'completed', questionnaire: 'http://acme.org/Questionnaire/q2' },
  {
    resourceType: 'Encounter', id: 'enc1', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: 'Patient/pat-1' }, period: { start: '2024-03-01T09:00:00Z', end: '2024-03-01T11:00:00Z' },
    serviceProvider: { reference: 'Organization/org-a' },
  },
  {
    resourceType: 'Encounter', id: 'enc2', status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject: { reference: 'Patient/pat-2' }, period: { start: '2023-06-15' },
  },
  {
    resourceType: 'List', id: 'list1', status: 'current', mode: 'working',
    entry: [{ item: { reference: 'Patient/pat-1' } }, { item: { reference: 'Patient/pat-3' } }, { item: { reference: 'Observation/obs-bp' } }],
  },
];

/**
 * Writes the population in a few commits, then updates pat-upd (its old values must stop matching) and deletes
 * pat-del (it must never match).
 */
export async function seedSearchData(c: Contract): Promise<void> {
  await put(c.store, ...ORGANIZATIONS);
  await put(c.store, ...PATIENTS);
  await put(c.store, ...OBSERVATIONS);
  await put(c.store, ...OTHERS);
  await put(c.store, { resourceType: 'Patient', id: 'pat-upd', name: [{ family: 'New' }] });
  await remove(c.store, 'Patient', 'pat-del');
}
