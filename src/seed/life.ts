import { problemsFor, EMERGENCY_PROBLEMS, INPATIENT_PROBLEMS, PRIMARY_CARE_PROBLEMS, SPECIALIST_PROBLEMS, type AcuteProblem } from './acute';
import { DISEASES, drawOnsets, type Disease, type DiseaseCode } from './chronic';
import { DAY_MS, YEAR_MS } from './fhir-helpers';
import { BIRTH_RATE, deathRate, femaleShare, IN_MIGRATION_RATE, moveOutRate, pickAge, pickMunicipality, type Municipality } from './population';
import type { Random } from './prng';

/**
 * One person's life in the region over the period: who they are, when they are observed (entry and exit, for
 * censoring person-time), when chronic diseases start, and every contact with care, in time order. Pure planning:
 * no FHIR here (record.ts turns the plan into resources).
 */

export type CareLevel = 'primary-care' | 'specialist-outpatient' | 'emergency' | 'inpatient';

export interface Period {
  startMs: number;
  endMs: number;
}

export interface Person {
  sex: 'male' | 'female';
  birthMs: number;
  municipality: Municipality;
  entryKind: 'resident' | 'born' | 'moved-in';
  entryMs: number;
  exitMs: number;
  exitReason: 'end' | 'death' | 'moved-out';
  /** Onset instant of each chronic disease diagnosed before exit. */
  onsets: Map<DiseaseCode, number>;
  /** Registered on a samordningsnummer rather than a personnummer (some people moving in). */
  coordinationNumber: boolean;
}

export type Reason =
  | { kind: 'onset'; disease: DiseaseCode }
  | { kind: 'follow-up'; disease: DiseaseCode }
  | { kind: 'acute'; problem: AcuteProblem }
  | { kind: 'vaccination'; vaccines: string[] };

export interface Contact {
  level: CareLevel;
  startMs: number;
  reason: Reason;
  /** An inpatient stay ending in death. */
  death?: boolean;
  /** An inpatient stay that begins with an emergency visit the record must add. */
  viaEmergency?: boolean;
  /** An inpatient stay admitted from an emergency visit that is already a contact of its own. */
  fromEmergencyContact?: boolean;
}

export function ageAt(person: Person, ms: number): number {
  return (ms - person.birthMs) / YEAR_MS;
}

/** Draws a person observed within `period`. */
export function drawPerson(rng: Random, period: Period): Person {
  const years = (period.endMs - period.startMs) / YEAR_MS;
  const kind = rng.weightedIndex([1, BIRTH_RATE * years, IN_MIGRATION_RATE * years]);
  const entryKind = (['resident', 'born', 'moved-in'] as const)[kind];
  let entryMs = period.startMs;
  let ageAtEntry: number;
  if (entryKind === 'born') {
    entryMs = period.startMs + rng.next() * (period.endMs - period.startMs);
    ageAtEntry = 0;
  } else {
    if (entryKind === 'moved-in') entryMs = period.startMs + rng.next() * (period.endMs - period.startMs);
    ageAtEntry = pickAge(rng, entryKind === 'moved-in');
  }
  const birthMs = Math.floor((entryMs - ageAtEntry * YEAR_MS) / DAY_MS) * DAY_MS;
  const sex = rng.chance(femaleShare(ageAtEntry)) ? 'female' : 'male';
  const person: Person = {
    sex, birthMs, municipality: pickMunicipality(rng), entryKind, entryMs, exitMs: period.endMs, exitReason: 'end',
    onsets: new Map(), coordinationNumber: entryKind === 'moved-in' && rng.chance(0.08),
  };
  const onsetAges = drawOnsets(rng);
  decideExit(rng, person, onsetAges);
  for (const [code, age] of onsetAges) {
    const ms = birthMs + age * YEAR_MS;
    if (ms < person.exitMs) person.onsets.set(code, Math.floor(ms / 60_000) * 60_000);
  }
  return person;
}

/** Walks the observed time a year at a time, drawing death (raised by chronic disease) and moving out. */
function decideExit(rng: Random, person: Person, onsetAges: Map<DiseaseCode, number>): void {
  for (let t = person.entryMs; t < person.exitMs; t += YEAR_MS) {
    const fraction = Math.min(YEAR_MS, person.exitMs - t) / YEAR_MS;
    const age = ageAt(person, t + (fraction * YEAR_MS) / 2);
    let multiplier = 1;
    for (const d of DISEASES) if ((onsetAges.get(d.code) ?? Infinity) <= age) multiplier *= d.mortality;
    const pDeath = 1 - Math.pow(1 - Math.min(0.9, deathRate(age) * multiplier), fraction);
    const pMove = 1 - Math.pow(1 - moveOutRate(age), fraction);
    const u = rng.next();
    if (u < pDeath + pMove) {
      person.exitMs = Math.floor((t + rng.next() * fraction * YEAR_MS) / 60_000) * 60_000;
      person.exitReason = u < pDeath ? 'death' : 'moved-out';
      return;
    }
  }
}

const BASE_RATES: Record<CareLevel, (age: number) => number> = {
  'primary-care': (a) => (a < 6 ? 1.6 : a < 18 ? 0.8 : a < 45 ? 1.0 : a < 65 ? 1.3 : a < 80 ? 2.0 : 3.0),
  'specialist-outpatient': (a) => (a < 65 ? 0.2 : 0.35),
  emergency: (a) => (a < 6 ? 0.25 : a < 80 ? 0.15 : 0.35),
  inpatient: (a) => (a < 65 ? 0.03 : a < 80 ? 0.08 : 0.2),
};

const LEVELS: CareLevel[] = ['primary-care', 'specialist-outpatient', 'emergency', 'inpatient'];
const VISIT_KEY = { 'primary-care': 'primary', 'specialist-outpatient': 'specialist', emergency: 'emergency', inpatient: 'inpatient' } as const;
const ACUTE: Record<CareLevel, readonly AcuteProblem[]> = {
  'primary-care': PRIMARY_CARE_PROBLEMS, 'specialist-outpatient': SPECIALIST_PROBLEMS, emergency: EMERGENCY_PROBLEMS, inpatient: INPATIENT_PROBLEMS,
};

/** Every contact of the person with care between entry and exit, sorted by start. */
export function planContacts(rng: Random, person: Person): Contact[] {
  const contacts: Contact[] = [];
  for (const [code, ms] of person.onsets) {
    if (ms >= person.entryMs) contacts.push({ level: onsetLevel(rng, code), startMs: ms, reason: { kind: 'onset', disease: code } });
  }
  for (let t = person.entryMs; t < person.exitMs; t += YEAR_MS) {
    const span = Math.min(YEAR_MS, person.exitMs - t);
    const age = ageAt(person, t + span / 2);
    const active = DISEASES.filter((d) => (person.onsets.get(d.code) ?? Infinity) <= t);
    for (const level of LEVELS) planLevel(rng, person, level, t, span, age, active, contacts);
    planVaccinations(rng, person, t, span, age, active, contacts);
  }
  if (person.exitReason === 'death' && rng.chance(person.onsets.has('I50') || person.onsets.has('J44') ? 0.5 : 0.3)) {
    contacts.push({ level: 'inpatient', startMs: person.exitMs - rng.int(1, 10) * DAY_MS, reason: deathReason(rng, person), death: true, viaEmergency: true });
  }
  const kept = contacts.filter((c) => c.startMs >= person.entryMs && c.startMs < person.exitMs);
  return kept.sort((a, b) => a.startMs - b.startMs);
}

function onsetLevel(rng: Random, code: DiseaseCode): CareLevel {
  if (code === 'I50') return rng.weightedIndex([3, 3, 4]) === 0 ? 'primary-care' : rng.chance(0.5) ? 'specialist-outpatient' : 'inpatient';
  if (code === 'I48') return rng.chance(0.3) ? 'emergency' : 'primary-care';
  return 'primary-care';
}

function planLevel(rng: Random, person: Person, level: CareLevel, t: number, span: number, age: number, active: Disease[], out: Contact[]): void {
  const base = BASE_RATES[level](age);
  const extra = active.map((d) => {
    const years = (t - person.onsets.get(d.code)!) / YEAR_MS;
    return d.extraVisits[VISIT_KEY[level]] * Math.min(2, 1 + d.escalationPerYear * years);
  });
  const rate = base + extra.reduce((a, b) => a + b, 0);
  const n = rng.poisson((rate * span) / YEAR_MS);
  const acute = problemsFor(ACUTE[level], age);
  for (let i = 0; i < n; i++) {
    const startMs = t + Math.floor((rng.next() * span) / 60_000) * 60_000;
    const pick = rng.weightedIndex([base, ...extra]);
    if (pick === 0 && acute.length === 0) continue;
    const reason: Reason = pick === 0
      ? { kind: 'acute', problem: acute[rng.weightedIndex(acute.map((p) => p.weight))] }
      : { kind: 'follow-up', disease: active[pick - 1].code };
    const viaEmergency = level === 'inpatient' && !(reason.kind === 'acute' && reason.problem.planned);
    out.push({ level, startMs, reason, viaEmergency });
    if (level === 'emergency' && reason.kind === 'acute' && rng.chance(reason.problem.admit ?? 0)) {
      out.push({ level: 'inpatient', startMs: startMs + 4 * 3_600_000, reason, fromEmergencyContact: true });
    }
  }
}

/** Seasonal influenza vaccination (65+ and the chronically ill), pneumococcal once at 65+, and childhood vaccines. */
function planVaccinations(rng: Random, person: Person, t: number, span: number, age: number, active: Disease[], out: Contact[]): void {
  const autumn = new Date(t).getUTCFullYear();
  const campaignMs = Date.UTC(autumn, 9, 15) + rng.int(0, 45) * DAY_MS + rng.int(8 * 60, 16 * 60) * 60_000;
  const atRisk = age >= 65 || active.some((d) => d.code === 'I50' || d.code === 'J44' || d.code === 'E11');
  if (atRisk && campaignMs >= t && campaignMs < t + span && rng.chance(0.55)) {
    const vaccines = age >= 65 && rng.chance(0.12) ? ['J07BB02', 'J07AL02'] : ['J07BB02'];
    out.push({ level: 'primary-care', startMs: campaignMs, reason: { kind: 'vaccination', vaccines } });
  }
  if (person.entryKind === 'born' && t === person.entryMs) {
    for (const [months, vaccine] of [[3, 'J07CA09'], [5, 'J07CA09'], [12, 'J07CA09'], [18, 'J07BD52']] as const) {
      if (rng.chance(0.97)) {
        const ms = person.birthMs + months * 30.4 * DAY_MS + rng.int(0, 20) * DAY_MS + rng.int(8 * 60, 16 * 60) * 60_000;
        out.push({ level: 'primary-care', startMs: Math.floor(ms / 60_000) * 60_000, reason: { kind: 'vaccination', vaccines: [vaccine] } });
      }
    }
  }
}

function deathReason(rng: Random, person: Person): Reason {
  const candidates = (['I50', 'J44', 'I48'] as const).filter((c) => person.onsets.has(c));
  if (candidates.length) return { kind: 'follow-up', disease: rng.pick(candidates) };
  return { kind: 'acute', problem: INPATIENT_PROBLEMS[0] };
}
