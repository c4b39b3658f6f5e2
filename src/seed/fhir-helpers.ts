import type { Meta, Quantity, Reference } from 'fhir/r4';
import type { Terminology } from './terminology';

/** Small builders shared by the generator's resource makers. */

export const UCUM = 'http://unitsofmeasure.org';
export const MUNICIPALITY_EXTENSION = 'https://fhir.region.se/StructureDefinition/municipality-code';

/** meta with the synthetic tag every generated resource carries. */
export function syntheticMeta(terms: Terminology): Meta {
  return { tag: [terms.coding('origin', 'synthetic')] };
}

export function ref(type: string, id: string, display?: string): Reference {
  return display === undefined ? { reference: `${type}/${id}` } : { reference: `${type}/${id}`, display };
}

export const DAY_MS = 86_400_000;
export const YEAR_MS = 365.25 * DAY_MS;
export const MINUTE_MS = 60_000;

/** An instant as FHIR dateTime, UTC, to the second. */
export function dateTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The date part (YYYY-MM-DD) of an instant. */
export function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function quantity(value: number, ucum: string): Quantity {
  return { value, unit: ucum, system: UCUM, code: ucum };
}

/** Rounds to `digits` decimals, returning a number that prints the same on every platform. */
export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
