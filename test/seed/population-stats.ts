import type { Condition, Encounter, FhirResource, Patient } from 'fhir/r4';
import { DAY_MS, YEAR_MS } from '../../src/seed/fhir-helpers';
import type { Period } from '../../src/seed/life';

/**
 * Measures a generated population from its FHIR resources alone (as a cohort study would): person-time censored at
 * birth, moving in, death, moving out and the period's end, and the rates and shares the tests hold to bounds.
 */

export interface PopulationStats {
  patients: number;
  personYears: number;
  /** Shares among the patients living in the region at the period's start, by age then. */
  ageShares: { under20: number; from20to64: number; over65: number; over80: number };
  femaleShare: number;
  municipalityShares: Map<string, number>;
  /** Share of patients with a Condition of each ICD-10-SE category. */
  prevalence: Map<string, number>;
  encountersPerPersonYear: number;
  encountersByLevel: Map<string, number>;
  deathsPer1000PersonYears: number;
  /** Share with the second disease among patients with the first, over its share among all: > 1 when they cluster. */
  comorbidityRatio(first: string, second: string): number;
  movedOut: number;
  born: number;
}

const CHRONIC = ['I10', 'E11', 'I50', 'I48', 'J44', 'F32'];

export function populationStats(resources: Iterable<FhirResource>, period: Period): PopulationStats {
  const patients: Patient[] = [];
  const withDisease = new Map<string, Set<string>>(CHRONIC.map((c) => [c, new Set()]));
  const encountersByLevel = new Map<string, number>();
  let encounters = 0;
  for (const r of resources) {
    if (r.resourceType === 'Patient') patients.push(r);
    else if (r.resourceType === 'Condition') noteCondition(r, withDisease);
    else if (r.resourceType === 'Encounter') {
      encounters++;
      const level = (r as Encounter).type![0].coding![0].code!;
      encountersByLevel.set(level, (encountersByLevel.get(level) ?? 0) + 1);
    }
  }
  let personYears = 0;
  let deaths = 0;
  let movedOut = 0;
  let born = 0;
  let atStart = 0;
  const ages = { under20: 0, from20to64: 0, over65: 0, over80: 0 };
  let female = 0;
  const municipalities = new Map<string, number>();
  for (const p of patients) {
    const birth = Date.parse(p.birthDate!);
    const address = p.address![0];
    const entry = Math.max(period.startMs, birth, Date.parse(address.period!.start!));
    const exit = Math.min(period.endMs, p.deceasedDateTime ? Date.parse(p.deceasedDateTime) : Infinity, address.period!.end ? Date.parse(address.period!.end) + DAY_MS : Infinity);
    personYears += Math.max(0, exit - entry) / YEAR_MS;
    if (p.deceasedDateTime) deaths++;
    if (address.period!.end) movedOut++;
    if (birth >= period.startMs) born++;
    if (p.gender === 'female') female++;
    const code = address.extension![0].valueCoding!.code!;
    municipalities.set(code, (municipalities.get(code) ?? 0) + 1);
    if (entry === period.startMs) {
      atStart++;
      const age = (period.startMs - birth) / YEAR_MS;
      if (age < 20) ages.under20++;
      else if (age < 65) ages.from20to64++;
      else ages.over65++;
      if (age >= 80) ages.over80++;
    }
  }
  const n = patients.length;
  return {
    patients: n,
    personYears,
    ageShares: { under20: ages.under20 / atStart, from20to64: ages.from20to64 / atStart, over65: ages.over65 / atStart, over80: ages.over80 / atStart },
    femaleShare: female / n,
    municipalityShares: new Map([...municipalities].map(([k, v]) => [k, v / n])),
    prevalence: new Map([...withDisease].map(([k, v]) => [k, v.size / n])),
    encountersPerPersonYear: encounters / personYears,
    encountersByLevel: new Map([...encountersByLevel].map(([k, v]) => [k, v / personYears])),
    deathsPer1000PersonYears: (deaths / personYears) * 1000,
    comorbidityRatio(first: string, second: string): number {
      const a = withDisease.get(first)!;
      const b = withDisease.get(second)!;
      const both = [...a].filter((p) => b.has(p)).length;
      return both / a.size / (b.size / n);
    },
    movedOut,
    born,
  };
}

function noteCondition(c: Condition, withDisease: Map<string, Set<string>>): void {
  for (const coding of c.code?.coding ?? []) {
    const set = withDisease.get(coding.code!);
    if (set) set.add(c.subject.reference!);
  }
}
