import type { EntryBase, IndexEntries } from './index-model';

/**
 * Shapes shared by the extraction modules: the typed values a search expression yields, where their entries go,
 * and small readers for untrusted JSON (a stored resource is valid FHIR, but extraction must not assume it).
 */

/** A value found by a search expression, with the FHIR type (or backbone element path) it has there. */
export interface TypedValue {
  value: unknown;
  type: string;
}

/** Where the entries of one parameter (or of one component of one composite tuple) go. */
export interface Target {
  /** Copied into every entry: the parameter code, and for composites the component and tuple. */
  stamp: EntryBase;
  entries: IndexEntries;
  /** Whether an absolute reference under this service base counts as a local `Type/id`. */
  isLocalBase: (base: string) => boolean;
}

/**
 * Stamps a new entry with the target's parameter code and, for composites, its component and tuple. Entries are
 * built as literals and stamped here rather than spread from the stamp: spreading is the slowest way to make the
 * tens of objects every resource yields.
 */
export function stamped<E extends EntryBase>(to: Target, entry: E): E {
  const { component, tuple } = to.stamp;
  if (component !== undefined) entry.component = component;
  if (tuple !== undefined) entry.tuple = tuple;
  return entry;
}

/** A JSON object as a record, or undefined for anything else (arrays included). */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A string property, or undefined when absent, empty or not a string. */
export function stringProp(record: Record<string, unknown>, key: string): string | undefined {
  const v = record[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The items of a repeating element (a lone value is treated as a list of one). */
export function listProp(record: Record<string, unknown>, key: string): unknown[] {
  const v = record[key];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}
