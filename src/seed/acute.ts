import type { DepartmentKind } from './organizations';

/**
 * The everyday problems behind contacts that no chronic disease explains, per care level, with how often each is the
 * reason (weights), what it brings (procedure, imaging, medicine) and whether it leads to admission.
 */

export interface AcuteProblem {
  /** ICD-10-SE code of the diagnosis. */
  code: string;
  weight: number;
  minAge?: number;
  maxAge?: number;
  department?: DepartmentKind;
  /** KVÅ code of a procedure done at the contact. */
  procedure?: string;
  /** KVÅ code of an imaging examination (it has a modality property in terminology/kva.json). */
  imaging?: string;
  /** ATC code prescribed, with the probability of a prescription. */
  medication?: { atc: string; p: number };
  /** Probability that an emergency visit for it ends in admission. */
  admit?: number;
  /** Length of an inpatient stay for it, days (mean). */
  stayDays?: number;
  /** Planned admissions come without an emergency visit. */
  planned?: boolean;
  profession?: 'physiotherapist' | 'psychologist';
}

export const PRIMARY_CARE_PROBLEMS: readonly AcuteProblem[] = [
  { code: 'J06.9', weight: 20 },
  { code: 'J20.9', weight: 8, medication: { atc: 'J01CE02', p: 0.5 } },
  { code: 'N39.0', weight: 10, minAge: 15, medication: { atc: 'J01XE01', p: 0.9 } },
  { code: 'A09.9', weight: 5 },
  { code: 'M54.5', weight: 15, minAge: 18, medication: { atc: 'M01AE01', p: 0.4 }, profession: 'physiotherapist', procedure: 'QV001' },
  { code: 'M25.5', weight: 10, minAge: 18, medication: { atc: 'N02BE01', p: 0.4 }, profession: 'physiotherapist', procedure: 'QV001' },
  { code: 'L30.9', weight: 7 },
  { code: 'H66.9', weight: 6, maxAge: 12, medication: { atc: 'J01CE02', p: 0.6 } },
  { code: 'F43.2', weight: 8, minAge: 15, profession: 'psychologist', procedure: 'DU011' },
  { code: 'Z00.0', weight: 11, procedure: 'AV020' },
];

export const EMERGENCY_PROBLEMS: readonly AcuteProblem[] = [
  { code: 'R07.4', weight: 20, minAge: 18, procedure: 'AF001', admit: 0.15, department: 'cardiology', stayDays: 2 },
  { code: 'R10.4', weight: 15, admit: 0.1, department: 'surgery', stayDays: 2 },
  { code: 'S52.5', weight: 10, imaging: 'NF001', medication: { atc: 'N02BE01', p: 0.7 }, department: 'orthopaedics' },
  { code: 'S93.4', weight: 12, medication: { atc: 'M01AE01', p: 0.5 }, department: 'orthopaedics' },
  { code: 'J18.9', weight: 10, imaging: 'AG015', medication: { atc: 'J01CE02', p: 0.9 }, admit: 0.4, department: 'medicine', stayDays: 5 },
  { code: 'S72.0', weight: 5, minAge: 60, imaging: 'NF001', admit: 1, department: 'orthopaedics', stayDays: 8 },
  { code: 'K35.8', weight: 5, maxAge: 70, procedure: 'JEA01', admit: 1, department: 'surgery', stayDays: 2 },
  { code: 'I21.4', weight: 4, minAge: 45, procedure: 'FNG05', admit: 1, department: 'cardiology', stayDays: 4 },
  { code: 'A09.9', weight: 10, admit: 0.05, department: 'medicine', stayDays: 2 },
];

export const SPECIALIST_PROBLEMS: readonly AcuteProblem[] = [
  { code: 'K80.2', weight: 20, minAge: 20, department: 'surgery' },
  { code: 'M16.1', weight: 25, minAge: 45, department: 'orthopaedics', imaging: 'NF001' },
  { code: 'R07.4', weight: 20, minAge: 30, department: 'cardiology', procedure: 'AF001' },
  { code: 'F43.2', weight: 15, minAge: 15, department: 'psychiatry', profession: 'psychologist', procedure: 'DU011' },
  { code: 'M54.5', weight: 20, minAge: 18, department: 'orthopaedics' },
];

export const INPATIENT_PROBLEMS: readonly AcuteProblem[] = [
  { code: 'J18.9', weight: 35, imaging: 'AG015', medication: { atc: 'J01CE02', p: 0.9 }, department: 'medicine', stayDays: 5 },
  { code: 'S72.0', weight: 15, minAge: 60, imaging: 'NF001', department: 'orthopaedics', stayDays: 8 },
  { code: 'K80.2', weight: 15, minAge: 20, procedure: 'JKA21', department: 'surgery', stayDays: 2, planned: true },
  { code: 'M16.1', weight: 15, minAge: 45, procedure: 'NFB49', department: 'orthopaedics', stayDays: 3, planned: true },
  { code: 'I21.4', weight: 10, minAge: 45, procedure: 'FNG05', department: 'cardiology', stayDays: 4 },
  { code: 'K35.8', weight: 10, maxAge: 70, procedure: 'JEA01', department: 'surgery', stayDays: 2 },
];

export function problemsFor(list: readonly AcuteProblem[], age: number): AcuteProblem[] {
  return list.filter((p) => (p.minAge === undefined || age >= p.minAge) && (p.maxAge === undefined || age <= p.maxAge));
}
