import type { Coding, Encounter, EncounterDiagnosis, EncounterParticipant } from 'fhir/r4';
import { dateTime, DAY_MS, MINUTE_MS, quantity, ref, syntheticMeta } from './fhir-helpers';
import type { CareLevel } from './life';
import type { Unit } from './organizations';
import type { Random } from './prng';
import type { Profession, RegionStaff, StaffMember } from './staff';
import type { Terminology } from './terminology';

/**
 * Encounter resources: care level, service provider, staff with their minutes, diagnoses in rank order, and for
 * inpatient stays admission, discharge, ward and bed-days.
 *
 * Staff time is each participant's period (start to end = the minutes that person spent on the patient).
 * Encounter.length is the encounter's duration: minutes for outpatient and emergency contacts, days (bed-days) for
 * inpatient stays.
 */

export type ParticipantType = 'PPRF' | 'SPRF' | 'ADM' | 'DIS' | 'ATND';

export interface Participation {
  member: StaffMember;
  type: ParticipantType;
  startMs: number;
  minutes: number;
}

export interface Diagnosis {
  conditionId: string;
  role: 'AD' | 'DD' | 'CC' | 'CM';
}

export interface EncounterSpec {
  id: string;
  patientId: string;
  level: CareLevel;
  startMs: number;
  endMs: number;
  unit: Unit;
  participants: Participation[];
  diagnoses: Diagnosis[];
  reasonCodes?: Coding[];
  ward?: Unit;
  admitSource?: 'emd' | 'gp' | 'hosp-trans';
  discharge?: 'home' | 'exp' | 'other-hcf';
}

const CLASS: Record<CareLevel, Coding> = {
  'primary-care': { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
  'specialist-outpatient': { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
  emergency: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER', display: 'emergency' },
  inpatient: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP', display: 'inpatient encounter' },
};

export function encounterResource(spec: EncounterSpec, terms: Terminology): Encounter {
  const inpatient = spec.level === 'inpatient';
  const encounter: Encounter = {
    resourceType: 'Encounter',
    id: spec.id,
    meta: syntheticMeta(terms),
    status: 'finished',
    class: CLASS[spec.level],
    type: [{ coding: [terms.coding('careLevel', spec.level)] }],
    subject: ref('Patient', spec.patientId),
    participant: spec.participants.map((p) => participant(p, terms)),
    period: { start: dateTime(spec.startMs), end: dateTime(spec.endMs) },
    length: inpatient
      ? quantity(Math.max(1, Math.round((spec.endMs - spec.startMs) / DAY_MS)), 'd')
      : quantity(Math.round((spec.endMs - spec.startMs) / MINUTE_MS), 'min'),
  };
  if (spec.reasonCodes) encounter.reasonCode = spec.reasonCodes.map((coding) => ({ coding: [coding] }));
  if (spec.diagnoses.length) encounter.diagnosis = spec.diagnoses.map(diagnosis);
  if (inpatient) {
    encounter.hospitalization = {
      admitSource: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/admit-source', code: spec.admitSource ?? 'emd' }] },
      dischargeDisposition: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/discharge-disposition', code: spec.discharge ?? 'home' }] },
    };
  }
  if (spec.ward?.locationId) {
    encounter.location = [{ location: ref('Location', spec.ward.locationId), status: 'completed', period: { start: dateTime(spec.startMs), end: dateTime(spec.endMs) } }];
  }
  encounter.serviceProvider = ref('Organization', spec.unit.id);
  return encounter;
}

function participant(p: Participation, terms: Terminology): EncounterParticipant {
  return {
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: p.type }] }],
    period: { start: dateTime(p.startMs), end: dateTime(p.startMs + p.minutes * MINUTE_MS) },
    individual: ref('Practitioner', p.member.practitionerId, `${terms.display('profession', p.member.profession)}`),
  };
}

function diagnosis(d: Diagnosis, index: number): EncounterDiagnosis {
  return {
    condition: ref('Condition', d.conditionId),
    use: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/diagnosis-role', code: d.role }] },
    rank: index + 1,
  };
}

/** One member of a profession at a unit (falls back to the unit's physicians when it has none of that profession). */
export function pickStaff(rng: Random, staff: RegionStaff, unitId: string, profession: Profession): StaffMember {
  const list = staff.of(unitId, profession);
  return rng.pick(list.length ? list : staff.of(unitId, 'physician'));
}

/** Staff for an outpatient visit in sequence from `startMs`; returns the participations and the visit's end. */
export function outpatientTeam(rng: Random, staff: RegionStaff, unitId: string, startMs: number, plan: Array<[Profession, number, number]>): { participants: Participation[]; endMs: number } {
  let t = startMs;
  const participants = plan.map(([profession, min, max], i) => {
    const minutes = rng.int(min, max);
    const p: Participation = { member: pickStaff(rng, staff, unitId, profession), type: i === 0 ? 'PPRF' : 'SPRF', startMs: t, minutes };
    t += minutes * MINUTE_MS;
    return p;
  });
  return { participants, endMs: t };
}
