import type { Document } from 'mongodb';
import { FhirError } from '../../fhir/errors';
import { storedParams } from '../../search/aliases';

/**
 * The pieces every part of the SearchQuery → MongoDB filter compiler shares. A request's values only ever reach a
 * filter as values under field names and operators this compiler writes itself; `value()` and `number()` check
 * that they are plain strings and finite numbers, so that even a value that slipped past the parser as an object
 * (`{"$ne": null}`) can never turn into an operator. Values inside field names never occur: a value is part of a
 * search key string (search-keys.ts), and regular expressions are built from escaped literals only.
 */

/** Conditions ORed: the one alone, `$or` for several, and a condition nothing matches for none. */
export function anyOf(conditions: readonly Document[]): Document {
  if (conditions.length === 0) return NOTHING;
  return conditions.length === 1 ? conditions[0] : { $or: [...conditions] };
}

/** Conditions ANDed. */
export function every(conditions: readonly Document[]): Document {
  const useful = conditions.filter((c) => Object.keys(c).length > 0);
  if (useful.length === 0) return {};
  return useful.length === 1 ? useful[0] : { $and: useful };
}

/** Matches no document (every resources document has a string `_id`). */
export const NOTHING: Document = Object.freeze({ _id: { $in: [] } });

/** A request value that must be a string; anything else is a bad request, never part of a filter. */
export function value(v: unknown, param: string): string {
  if (typeof v !== 'string') throw invalidValue(param, `a non-text value`);
  return v;
}

/** A request value that must be a finite number. */
export function number(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidValue(param, 'a number that is not finite');
  return v;
}

/** The `type` restriction of a search over `types` (none: any type). */
export function typeTest(types: readonly string[]): Document {
  if (types.length === 0) return {};
  return types.length === 1 ? { type: value(types[0], '_type') } : { type: { $in: types.map((t) => value(t, '_type')) } };
}

/** The stored parameters a search on `param` reads: itself, or the parts of a union (src/search/aliases.ts). */
export function paramsOf(types: readonly string[], param: string): string[] {
  return [...storedParams(types, param)];
}

export function invalidValue(param: string, what: string): FhirError {
  return new FhirError('invalid', { diagnostics: `'${param}' cannot be searched with ${what}`, expression: [param] });
}

export function notSupported(diagnostics: string, param: string): FhirError {
  return new FhirError('not-supported', { diagnostics, expression: [param] });
}
