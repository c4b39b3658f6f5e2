import type { MedicationDispense, MedicationRequest } from 'fhir/r4';
import type { DiseaseCode } from './chronic';
import { dateTime, DAY_MS, quantity, ref, syntheticMeta } from './fhir-helpers';
import type { Random } from './prng';
import type { Terminology } from './terminology';

/**
 * Prescriptions and dispensings. A chronic prescription is valid a year and dispensed every 90 days (Swedish
 * pharmacies hand out at most three months' supply at a time); it is renewed at a follow-up visit. Treatment
 * escalates with the years since diagnosis.
 */

export const SUPPLY_DAYS = 90;
export const VALIDITY_DAYS = 365;

/** ATC codes of the regimen for a disease `years` after diagnosis; `variant` (0..1, fixed per person) picks among equals. */
export function regimen(disease: DiseaseCode, years: number, variant: number): string[] {
  switch (disease) {
    case 'I10':
      return [variant < 0.7 ? 'C09AA05' : 'C09CA01', ...(years >= 2 ? ['C08CA01'] : []), ...(years >= 5 ? ['C03AA03'] : [])];
    case 'E11':
      return ['A10BA02', 'C10AA01', ...(years >= 3 ? ['A10BK01'] : []), ...(years >= 5 && variant < 0.4 ? ['A10BJ06'] : []), ...(years >= 8 ? ['A10AE04'] : [])];
    case 'I50':
      return ['C09AA05', 'C07AB07', 'C03CA01', ...(years >= 1 ? ['C03DA01'] : []), ...(years >= 3 && variant < 0.5 ? ['C09DX04'] : []), 'C10AA05'];
    case 'I48':
      return [variant < 0.7 ? 'B01AF02' : 'B01AF01', 'C07AB07'];
    case 'J44':
      return ['R03BB04', 'R03AC02'];
    case 'F32':
      return [variant < 0.6 ? 'N06AB10' : 'N06AB06'];
  }
}

export interface RequestSpec {
  id: string;
  patientId: string;
  encounterId: string;
  atc: string;
  authoredMs: number;
  requesterId: string;
  reasonConditionId: string;
  /** Days the prescription is valid; chronic ones a year, acute ones a few weeks. */
  validityDays: number;
  repeats: number;
  /** End of the generated period: a prescription still valid then is active. */
  periodEndMs: number;
}

export function requestResource(spec: RequestSpec, terms: Terminology): MedicationRequest {
  const endMs = spec.authoredMs + spec.validityDays * DAY_MS;
  return {
    resourceType: 'MedicationRequest',
    id: spec.id,
    meta: syntheticMeta(terms),
    status: endMs > spec.periodEndMs ? 'active' : 'completed',
    intent: 'order',
    medicationCodeableConcept: { coding: [terms.coding('atc', spec.atc)] },
    subject: ref('Patient', spec.patientId),
    encounter: ref('Encounter', spec.encounterId),
    authoredOn: dateTime(spec.authoredMs),
    requester: ref('Practitioner', spec.requesterId),
    reasonReference: [ref('Condition', spec.reasonConditionId)],
    dosageInstruction: [{ text: spec.repeats > 0 ? 'Enligt ordination, dagligen' : 'Enligt ordination' }],
    dispenseRequest: {
      validityPeriod: { start: dateTime(spec.authoredMs), end: dateTime(endMs) },
      numberOfRepeatsAllowed: spec.repeats,
      expectedSupplyDuration: quantity(spec.repeats > 0 ? SUPPLY_DAYS : 10, 'd'),
    },
  };
}

/** Hand-out instants of a prescription: the first within days of writing, then every 90 days while valid and observed. */
export function dispenseTimes(rng: Random, spec: RequestSpec, untilMs: number): number[] {
  const times: number[] = [];
  let t = spec.authoredMs + rng.int(0, 3) * DAY_MS + rng.int(60, 480) * 60_000;
  const endMs = Math.min(untilMs, spec.authoredMs + spec.validityDays * DAY_MS);
  for (let n = 0; n <= spec.repeats && t < endMs; n++) {
    times.push(t);
    t += (SUPPLY_DAYS - rng.int(0, 7)) * DAY_MS;
  }
  return times;
}

export function dispenseResource(id: string, request: RequestSpec, atMs: number, terms: Terminology): MedicationDispense {
  return {
    resourceType: 'MedicationDispense',
    id,
    meta: syntheticMeta(terms),
    status: 'completed',
    medicationCodeableConcept: { coding: [terms.coding('atc', request.atc)] },
    subject: ref('Patient', request.patientId),
    authorizingPrescription: [ref('MedicationRequest', request.id)],
    quantity: { value: 1, unit: 'förpackning', system: 'http://unitsofmeasure.org', code: '{pack}' },
    daysSupply: quantity(request.repeats > 0 ? SUPPLY_DAYS : 10, 'd'),
    whenHandedOver: dateTime(atMs),
  };
}
