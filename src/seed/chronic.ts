import { normalCdf, type Random } from './prng';

/**
 * The chronic diseases that give cohorts and costing something to find: when they start, how they cluster, what
 * care and medication they bring and how they raise mortality.
 *
 * Each disease has a curve of the share of people diagnosed by a given age (rounded from Swedish register studies).
 * A person's onset age is drawn by inverting that curve, so the share with the disease at each age follows it. The
 * draws of the cardiometabolic diseases share one latent risk factor, which makes them co-occur (hypertension with
 * diabetes, heart failure with atrial fibrillation) without changing each disease's own prevalence.
 */

export type DiseaseCode = 'I10' | 'E11' | 'I50' | 'I48' | 'J44' | 'F32';

export type Department = 'medicine' | 'cardiology' | 'psychiatry';

export interface Disease {
  code: DiseaseCode;
  /** The ICD-10-SE code reported on encounters (the category `code` is added beside it). */
  reportedCode: string;
  /** [age, share diagnosed by that age], increasing ages, non-decreasing shares. */
  curve: ReadonlyArray<readonly [number, number]>;
  /** Weight of the shared cardiometabolic risk factor (0: independent). */
  loading: number;
  mortality: number;
  /** Extra contacts per year at each care level, in the first year after diagnosis (they grow with duration). */
  extraVisits: { primary: number; specialist: number; emergency: number; inpatient: number };
  escalationPerYear: number;
  department: Department;
  /** ATC codes started at diagnosis and renewed yearly. */
  medications: string[];
  /** LOINC codes measured at follow-up visits. */
  labs: string[];
}

export const DISEASES: readonly Disease[] = [
  {
    code: 'I10', reportedCode: 'I10.9',
    curve: [[25, 0], [35, 0.02], [45, 0.07], [55, 0.17], [65, 0.32], [75, 0.45], [85, 0.52], [105, 0.55]],
    loading: 0.5, mortality: 1.1,
    extraVisits: { primary: 0.7, specialist: 0, emergency: 0, inpatient: 0 }, escalationPerYear: 0.02,
    department: 'medicine', medications: ['C09AA05', 'C08CA01'], labs: ['85354-9', '14682-9', '2823-3'],
  },
  {
    code: 'E11', reportedCode: 'E11.9',
    curve: [[25, 0], [35, 0.008], [45, 0.025], [55, 0.06], [65, 0.11], [75, 0.15], [85, 0.16], [105, 0.16]],
    loading: 0.5, mortality: 1.4,
    extraVisits: { primary: 1.5, specialist: 0.2, emergency: 0.03, inpatient: 0.03 }, escalationPerYear: 0.05,
    department: 'medicine', medications: ['A10BA02', 'C10AA01'], labs: ['59261-8', '14682-9', '85354-9'],
  },
  {
    code: 'I50', reportedCode: 'I50.9',
    curve: [[40, 0], [50, 0.003], [60, 0.01], [70, 0.035], [80, 0.08], [90, 0.15], [105, 0.18]],
    loading: 0.6, mortality: 3.0,
    extraVisits: { primary: 1.0, specialist: 1.2, emergency: 0.3, inpatient: 0.35 }, escalationPerYear: 0.15,
    department: 'cardiology', medications: ['C09AA05', 'C07AB07', 'C03CA01'], labs: ['33762-6', '14682-9', '2823-3'],
  },
  {
    code: 'I48', reportedCode: 'I48.9',
    curve: [[40, 0], [50, 0.007], [60, 0.025], [70, 0.07], [80, 0.13], [90, 0.17], [105, 0.18]],
    loading: 0.5, mortality: 1.3,
    extraVisits: { primary: 0.5, specialist: 0.6, emergency: 0.15, inpatient: 0.08 }, escalationPerYear: 0.05,
    department: 'cardiology', medications: ['B01AF02', 'C07AB07'], labs: ['14682-9'],
  },
  {
    code: 'J44', reportedCode: 'J44.9',
    curve: [[35, 0], [45, 0.005], [55, 0.02], [65, 0.045], [75, 0.07], [85, 0.08], [105, 0.08]],
    loading: 0.3, mortality: 2.0,
    extraVisits: { primary: 1.0, specialist: 0.3, emergency: 0.3, inpatient: 0.2 }, escalationPerYear: 0.1,
    department: 'medicine', medications: ['R03BB04', 'R03AC02'], labs: [],
  },
  {
    code: 'F32', reportedCode: 'F32.9',
    curve: [[12, 0], [18, 0.02], [25, 0.05], [40, 0.065], [65, 0.07], [105, 0.07]],
    loading: 0.1, mortality: 1.2,
    extraVisits: { primary: 1.5, specialist: 0.8, emergency: 0.05, inpatient: 0.02 }, escalationPerYear: 0,
    department: 'psychiatry', medications: ['N06AB10'], labs: [],
  },
];

export function disease(code: DiseaseCode): Disease {
  return DISEASES.find((d) => d.code === code)!;
}

/** The age (years) at which a person with draw `u` in [0,1) is diagnosed, or undefined when never. */
export function onsetAge(curve: Disease['curve'], u: number): number | undefined {
  for (let i = 1; i < curve.length; i++) {
    const [a0, p0] = curve[i - 1];
    const [a1, p1] = curve[i];
    if (u < p1 && p1 > p0) return a0 + ((Math.max(u, p0) - p0) / (p1 - p0)) * (a1 - a0);
  }
  return undefined;
}

/** Onset ages of each disease for one person (absent: never diagnosed in their lifetime). */
export function drawOnsets(rng: Random): Map<DiseaseCode, number> {
  const risk = rng.normal();
  const onsets = new Map<DiseaseCode, number>();
  for (const d of DISEASES) {
    const latent = d.loading * risk + Math.sqrt(1 - d.loading * d.loading) * rng.normal();
    // High latent risk → small u → early onset; u is uniform whatever the loading, so prevalence is unchanged.
    const age = onsetAge(d.curve, normalCdf(-latent));
    if (age !== undefined) onsets.set(d.code, age);
  }
  return onsets;
}
