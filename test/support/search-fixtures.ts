import { instantRange } from '../../src/fhir/instants';
import type { Filter, FilterValue, ParamType, Prefix, ReferenceValue, SearchQuery } from '../../src/search/model';

/**
 * The store search tests' shared vocabulary (test/store/sqlite-search.test.ts, mongo-search.test.ts): the
 * SearchQuery model built by hand, without the parser, and the data both adapters are searched over.
 */
export const NOW = Date.parse('2025-01-01T00:00:00.000Z');
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const PNR = 'urn:oid:1.2.752.129.2.1.3.1';
export const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

// Filter builders: the SearchQuery model by hand (src/search/model.ts).
export const tok = (code?: string, system?: string): FilterValue => ({ kind: 'token', value: { code, system } });
export const str = (value: string): FilterValue => ({ kind: 'string', value });
export const uri = (value: string): FilterValue => ({ kind: 'uri', value });
export const ref = (value: ReferenceValue): FilterValue => ({ kind: 'reference', value });
export const missing = (value: boolean): FilterValue => ({ kind: 'missing', value });
export const date = (prefix: Prefix, text: string): FilterValue => ({ kind: 'date', value: { prefix, ...instantRange(text)! } });
/** A number with the precision range of how it is written: `0.25` is [0.245, 0.255). */
export const num = (prefix: Prefix, text: string): FilterValue => ({ kind: 'number', value: { prefix, ...precision(text) } });
export const qty = (prefix: Prefix, text: string, system?: string, code?: string): FilterValue => ({
  kind: 'quantity', value: { prefix, ...precision(text), system, code },
});
export const composite = (...value: FilterValue[]): FilterValue => ({ kind: 'composite', value });
export const p = (param: string, type: ParamType, values: FilterValue[], modifier?: string): Filter => ({ kind: 'param', param, type, values, modifier });
export const chain = (param: string, targetTypes: string[], filter: Filter): Filter => ({ kind: 'chain', param, targetTypes, filter });
export const has = (type: string, param: string, filter: Filter): Filter => ({ kind: 'has', type, param, filter });

export function precision(text: string): { value: number; low: number; high: number } {
  const decimals = text.includes('.') ? text.split('.')[1].length : 0;
  const half = 0.5 * 10 ** -decimals;
  return { value: Number(text), low: Number(text) - half, high: Number(text) + half };
}

export function query(types: string[], filters: Filter[], extra: Partial<SearchQuery> = {}): SearchQuery {
  return { types, filters, sort: [], count: 100, total: 'none', ...extra };
}

export const quantity = (value: number, code?: string, unit = code) => ({ value, unit, ...(code && { system: UCUM, code }) });
export const coding = (code: string, display?: string) => ({ coding: [{ system: LOINC, code, display }] });

export async function seedSearchData(put: (...resources: Array<Record<string, unknown>>) => Promise<void>): Promise<void> {
  await put(
    { resourceType: 'Organization', id: 'o3', name: 'Region Stockholm' },
    { resourceType: 'Organization', id: 'o1', name: 'Karolinska', partOf: { reference: 'Organization/o3' } },
    { resourceType: 'Organization', id: 'o2', name: 'Sahlgrenska' },
    { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Lind' }] },
    {
      resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1970-05-14', name: [{ family: 'Åström', given: ['Karin'] }],
      identifier: [{ system: PNR, value: '197005141234', type: { coding: [{ system: V2_0203, code: 'MR' }] } }],
      generalPractitioner: [{ reference: 'Practitioner/dr1' }], managingOrganization: { reference: 'Organization/o1' },
    },
    {
      resourceType: 'Patient', id: 'p2', gender: 'male', birthDate: '1985', name: [{ family: 'Andersson', given: ['Per'] }],
      identifier: [{ system: PNR, value: '198501015678' }], managingOrganization: { reference: 'Organization/o2' },
    },
    { resourceType: 'Patient', id: 'p3', birthDate: '1990-02', name: [{ family: 'Berg' }] },
    {
      resourceType: 'Observation', id: 'obs1', status: 'final', code: coding('85354-9', 'Blood pressure panel'),
      subject: { reference: 'Patient/p1' }, effectiveDateTime: '2024-03-01T10:00:00Z',
      component: [
        { code: coding('8480-6'), valueQuantity: quantity(120, 'mm[Hg]') },
        { code: coding('8462-4'), valueQuantity: quantity(80, 'mm[Hg]') },
      ],
    },
    {
      resourceType: 'Observation', id: 'obs2', status: 'final', code: coding('29463-7', 'Body weight'), subject: { reference: 'Patient/p1' },
      effectivePeriod: { start: '2024-01-01', end: '2024-01-31' }, valueQuantity: quantity(72.5, 'kg'),
    },
    {
      resourceType: 'Observation', id: 'obs3', status: 'preliminary', code: coding('8480-6'), subject: { reference: 'Patient/p2' },
      effectiveDateTime: '2023-06-15', valueQuantity: quantity(140, 'mm[Hg]'),
    },
    {
      resourceType: 'Observation', id: 'obs4', status: 'final', code: coding('29463-7'), subject: { reference: 'Patient/p2' },
      effectiveDateTime: '2023-07-01', valueQuantity: quantity(90, undefined, 'kg'),
    },
    {
      resourceType: 'Observation', id: 'obs5', status: 'final', code: coding('8302-6'),
      subject: { identifier: { system: PNR, value: '197005141234' } },
    },
    {
      resourceType: 'Observation', id: 'obs6', status: 'final', code: coding('8302-6'),
      subject: { reference: 'https://other.example/fhir/Patient/x9' },
    },
    { resourceType: 'RiskAssessment', id: 'ra1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.25 }] },
    { resourceType: 'RiskAssessment', id: 'ra2', status: 'final', subject: { reference: 'Patient/p2' }, prediction: [{ probabilityDecimal: 0.8 }] },
    { resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://acme.org/fhir/ValueSet/123' },
    { resourceType: 'ValueSet', id: 'vs2', status: 'active', url: 'http://acme.org/fhir/ValueSet/456' },
    { resourceType: 'ValueSet', id: 'vs3', status: 'active', url: 'http://other.org/vs' },
    { resourceType: 'QuestionnaireResponse', id: 'qr1', status: 'completed', questionnaire: 'http://acme.org/Questionnaire/q1|2.0' },
  );
}

