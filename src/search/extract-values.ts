import type { Target } from './extract-json';
import { addStrings } from './extract-strings';
import { addTokens } from './extract-tokens';
import { addDates } from './extract-dates';
import { addNumbers, addQuantities } from './extract-numbers';
import { addReferences, addUris } from './extract-references';

/**
 * Normalisation of evaluated values into index entries, chosen by the SearchParameter's type and then by the FHIR
 * type of each value (https://hl7.org/fhir/R4/search.html#ptypes). A value a parameter type cannot index (an Age
 * on a date parameter, a SampledData on a quantity parameter) adds nothing.
 */

export type Normaliser = (value: unknown, type: string, to: Target) => void;

const NORMALISERS: Readonly<Record<string, Normaliser>> = {
  string: addStrings,
  token: addTokens,
  date: addDates,
  number: addNumbers,
  quantity: addQuantities,
  uri: addUris,
  reference: addReferences,
};

/** The normaliser for a parameter type; undefined for composite (see extract-composite.ts) and special. */
export function normaliserFor(type: string): Normaliser | undefined {
  return Object.hasOwn(NORMALISERS, type) ? NORMALISERS[type] : undefined;
}
