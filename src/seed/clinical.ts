import type { Condition, ImagingStudy, Immunization, Observation, Procedure } from 'fhir/r4';
import type { DiseaseCode } from './chronic';
import { dateTime, quantity, ref, round, syntheticMeta } from './fhir-helpers';
import type { Random } from './prng';
import type { Terminology } from './terminology';

/** The clinical resources tied to encounters: diagnoses, lab results and vital signs, procedures, imaging, vaccines. */

const HL7 = 'http://terminology.hl7.org/CodeSystem';

export interface ConditionSpec {
  id: string;
  patientId: string;
  /** ICD-10-SE code reported; `category` adds its three-character category beside it (I50 beside I50.9). */
  code: string;
  category?: string;
  encounterId?: string;
  onsetMs: number;
  recordedMs: number;
  abatementMs?: number;
  chronic: boolean;
}

export function conditionResource(spec: ConditionSpec, terms: Terminology): Condition {
  const status = spec.abatementMs === undefined ? 'active' : spec.chronic ? 'remission' : 'resolved';
  const coding = [terms.coding('icd10', spec.code)];
  if (spec.category) coding.unshift(terms.coding('icd10', spec.category));
  const condition: Condition = {
    resourceType: 'Condition',
    id: spec.id,
    meta: syntheticMeta(terms),
    clinicalStatus: { coding: [{ system: `${HL7}/condition-clinical`, code: status }] },
    verificationStatus: { coding: [{ system: `${HL7}/condition-ver-status`, code: 'confirmed' }] },
    category: [{ coding: [{ system: `${HL7}/condition-category`, code: spec.chronic ? 'problem-list-item' : 'encounter-diagnosis' }] }],
    code: { coding },
    subject: ref('Patient', spec.patientId),
  };
  if (spec.encounterId) condition.encounter = ref('Encounter', spec.encounterId);
  condition.onsetDateTime = dateTime(spec.onsetMs);
  if (spec.abatementMs !== undefined) condition.abatementDateTime = dateTime(spec.abatementMs);
  condition.recordedDate = dateTime(spec.recordedMs);
  return condition;
}

export interface ObservationSpec {
  id: string;
  patientId: string;
  encounterId: string;
  loinc: string;
  atMs: number;
  /** The person's chronic diseases at the time: they shift the values. */
  diseases: ReadonlySet<DiseaseCode>;
  sex: 'male' | 'female';
}

export function observationResource(rng: Random, spec: ObservationSpec, terms: Terminology): Observation {
  const category = terms.property('loinc', spec.loinc, 'category')!;
  const obs: Observation = {
    resourceType: 'Observation',
    id: spec.id,
    meta: syntheticMeta(terms),
    status: 'final',
    category: [{ coding: [{ system: `${HL7}/observation-category`, code: category }] }],
    code: { coding: [terms.coding('loinc', spec.loinc)] },
    subject: ref('Patient', spec.patientId),
    encounter: ref('Encounter', spec.encounterId),
    effectiveDateTime: dateTime(spec.atMs),
  };
  if (spec.loinc === '85354-9') {
    const high = spec.diseases.has('I10');
    obs.component = [
      component(terms, '8480-6', round(rng.gaussian(high ? 146 : 126, high ? 14 : 11))),
      component(terms, '8462-4', round(rng.gaussian(high ? 88 : 78, 8))),
    ];
  } else {
    obs.valueQuantity = quantity(labValue(rng, spec), terms.property('loinc', spec.loinc, 'unit')!);
  }
  return obs;
}

function component(terms: Terminology, loinc: string, value: number): NonNullable<Observation['component']>[number] {
  return { code: { coding: [terms.coding('loinc', loinc)] }, valueQuantity: quantity(value, terms.property('loinc', loinc, 'unit')!) };
}

/** Plausible values: NT-proBNP high in heart failure, HbA1c high in diabetes, creatinine higher in men and in HF/diabetes. */
function labValue(rng: Random, spec: ObservationSpec): number {
  const has = (d: DiseaseCode) => spec.diseases.has(d);
  switch (spec.loinc) {
    case '33762-6':
      return round(Math.exp(rng.gaussian(has('I50') ? Math.log(1500) : Math.log(90), has('I50') ? 0.8 : 0.6)));
    case '59261-8':
      return round(Math.max(25, rng.gaussian(has('E11') ? 56 : 36, has('E11') ? 11 : 4)));
    case '14682-9':
      return round(Math.max(30, rng.gaussian((spec.sex === 'male' ? 85 : 68) * (has('I50') || has('E11') ? 1.3 : 1), 15)));
    case '2823-3':
      return round(rng.gaussian(4.2, 0.35), 1);
    default:
      throw new Error(`no value model for LOINC ${spec.loinc}`);
  }
}

export interface ProcedureSpec {
  id: string;
  patientId: string;
  encounterId: string;
  kva: string;
  atMs: number;
  performerId: string;
  reasonConditionId?: string;
}

export function procedureResource(spec: ProcedureSpec, terms: Terminology): Procedure {
  const procedure: Procedure = {
    resourceType: 'Procedure',
    id: spec.id,
    meta: syntheticMeta(terms),
    status: 'completed',
    code: { coding: [terms.coding('kva', spec.kva)] },
    subject: ref('Patient', spec.patientId),
    encounter: ref('Encounter', spec.encounterId),
    performedDateTime: dateTime(spec.atMs),
    performer: [{ actor: ref('Practitioner', spec.performerId) }],
  };
  if (spec.reasonConditionId) procedure.reasonReference = [ref('Condition', spec.reasonConditionId)];
  return procedure;
}

export function imagingStudyResource(rng: Random, spec: ProcedureSpec, terms: Terminology): ImagingStudy {
  const modality = terms.coding('dicom', terms.property('kva', spec.kva, 'modality')!);
  const instances = modality.code === 'US' ? rng.int(20, 60) : rng.int(1, 3);
  const study: ImagingStudy = {
    resourceType: 'ImagingStudy',
    id: spec.id,
    meta: syntheticMeta(terms),
    identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${dicomUid(rng)}` }],
    status: 'available',
    modality: [modality],
    subject: ref('Patient', spec.patientId),
    encounter: ref('Encounter', spec.encounterId),
    started: dateTime(spec.atMs),
    numberOfSeries: 1,
    numberOfInstances: instances,
    procedureCode: [{ coding: [terms.coding('kva', spec.kva)] }],
    series: [{ uid: dicomUid(rng), number: 1, modality, numberOfInstances: instances }],
  };
  if (spec.reasonConditionId) study.reasonReference = [ref('Condition', spec.reasonConditionId)];
  return study;
}

/** A DICOM UID under the 2.25 arc (a UUID-derived decimal), at most 64 characters. */
function dicomUid(rng: Random): string {
  return `2.25.${rng.int(1, 9)}${[0, 1, 2, 3].map(() => String(rng.nextUint32()).padStart(10, '0')).join('')}`.slice(0, 64);
}

export interface ImmunizationSpec {
  id: string;
  patientId: string;
  encounterId: string;
  atc: string;
  atMs: number;
  performerId: string;
}

export function immunizationResource(spec: ImmunizationSpec, terms: Terminology): Immunization {
  return {
    resourceType: 'Immunization',
    id: spec.id,
    meta: syntheticMeta(terms),
    status: 'completed',
    vaccineCode: { coding: [terms.coding('atc', spec.atc)] },
    patient: ref('Patient', spec.patientId),
    encounter: ref('Encounter', spec.encounterId),
    occurrenceDateTime: dateTime(spec.atMs),
    primarySource: true,
    performer: [{ actor: ref('Practitioner', spec.performerId) }],
  };
}
