import type { Random } from './prng';

/**
 * The shape of the region's population: age and sex structure, municipalities, births, moves and deaths.
 * Figures are rounded from Statistics Sweden's tables for Sweden and Halland county (2020s): they make the data look
 * like a Swedish county, not reproduce any year exactly.
 */

/** Share of the population per five-year age group (0–4, 5–9, …, 95+), Sweden, rounded. */
export const AGE_GROUP_SHARES = [5.5, 6.0, 6.2, 6.0, 5.7, 6.4, 6.9, 6.6, 6.3, 6.3, 6.6, 6.4, 5.8, 5.3, 5.2, 4.6, 3.0, 1.6, 0.7, 0.2];

/** Share of women in an age group: about even until 65, then women outlive men. */
export function femaleShare(age: number): number {
  if (age < 65) return 0.49;
  if (age < 80) return 0.51;
  if (age < 90) return 0.57;
  return 0.68;
}

export interface Municipality {
  code: string;
  name: string;
  /** Inhabitants, rounded; the weight of the municipality in the draw. */
  inhabitants: number;
  /** First three digits of its postal codes. */
  postalPrefixes: string[];
  /** The emergency hospital whose catchment area it is. */
  hospital: 'halmstad' | 'varberg';
}

export const MUNICIPALITIES: readonly Municipality[] = [
  { code: '1380', name: 'Halmstad', inhabitants: 104_000, postalPrefixes: ['302', '303', '305'], hospital: 'halmstad' },
  { code: '1315', name: 'Hylte', inhabitants: 11_000, postalPrefixes: ['314'], hospital: 'halmstad' },
  { code: '1381', name: 'Laholm', inhabitants: 26_000, postalPrefixes: ['312'], hospital: 'halmstad' },
  { code: '1382', name: 'Falkenberg', inhabitants: 47_000, postalPrefixes: ['311'], hospital: 'varberg' },
  { code: '1383', name: 'Varberg', inhabitants: 66_000, postalPrefixes: ['432'], hospital: 'varberg' },
  { code: '1384', name: 'Kungsbacka', inhabitants: 85_000, postalPrefixes: ['434', '439'], hospital: 'varberg' },
];

/** Births per inhabitant and year. */
export const BIRTH_RATE = 0.010;
/** People moving into the county per inhabitant and year (young adults most). */
export const IN_MIGRATION_RATE = 0.015;

/** Yearly probability of moving out of the county, by age. */
export function moveOutRate(age: number): number {
  if (age >= 18 && age < 35) return 0.03;
  if (age >= 80) return 0.003;
  return 0.01;
}

/**
 * Yearly probability of death by age for a person without the modelled chronic diseases (a Gompertz curve doubling
 * every seven years, scaled so that with the diseases' multipliers the whole population dies at about Swedish
 * rates: 0.7 % at 60, 5 % at 80, 13 % at 90, 9 per 1000 person-years overall). Infant mortality is about 0.2 %.
 */
export function deathRate(age: number): number {
  if (age < 1) return 0.002;
  return Math.min(0.5, 0.0000125 * Math.exp(0.098 * age) + 0.0001);
}

export function pickMunicipality(rng: Random): Municipality {
  return MUNICIPALITIES[rng.weightedIndex(MUNICIPALITIES.map((m) => m.inhabitants))];
}

/** An age in years (fractional) drawn from the age structure; `youngAdults` weights 20–39 up, as for people moving in. */
export function pickAge(rng: Random, youngAdults = false): number {
  const weights = AGE_GROUP_SHARES.map((w, i) => (youngAdults && i >= 4 && i < 8 ? w * 3 : w));
  const group = rng.weightedIndex(weights);
  // The open top group (95+) spreads over 95–104.
  return group * 5 + rng.next() * 5 * (group === AGE_GROUP_SHARES.length - 1 ? 2 : 1);
}
