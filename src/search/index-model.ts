/**
 * The search values of one resource, as extracted at write time (src/search/extract.ts) and stored by each adapter
 * in its own way. Backend-free. Strings and instants are in forms that compare correctly as text.
 *
 * Composite parameters (https://hl7.org/fhir/R4/search.html#composite) are stored as their components: each
 * component value is an ordinary entry of its own type whose `param` is the composite's code, with `component` (its
 * position in the SearchParameter's component list) and `tuple` (which item of the composite's base expression it
 * came from), so a query can require all components of one tuple to match together.
 */
export interface EntryBase {
  /** The SearchParameter code (`identifier`, `birthdate`, `code-value-quantity`). */
  param: string;
  /** For composite components only. */
  component?: number;
  tuple?: number;
}

/** string: `value` accent- and case-folded (default starts-with and :contains), `exact` as written (:exact). */
export interface StringEntry extends EntryBase {
  value: string;
  exact: string;
}

/**
 * token: code/Coding/CodeableConcept/Identifier/ContactPoint/boolean/string. `system` is '' when absent.
 * `text`: folded display/text for `:text` (Coding.display, CodeableConcept.text, Identifier.type.text).
 * `typeSystem`/`typeCode`: Identifier.type codings, for `:of-type`.
 */
export interface TokenEntry extends EntryBase {
  system: string;
  code: string;
  text?: string;
  typeSystem?: string;
  typeCode?: string;
}

/** date: the [low, high] instant range (ISO UTC with ms) of date/dateTime/instant/Period/Timing. */
export interface DateEntry extends EntryBase {
  low: string;
  high: string;
}

/** number: the value and the [low, high] range its precision implies. */
export interface NumberEntry extends EntryBase {
  value: number;
  low: number;
  high: number;
}

/** quantity: as number, with system/code/unit ('' when absent). */
export interface QuantityEntry extends NumberEntry {
  system: string;
  code: string;
  unit: string;
}

/** uri / url / canonical / oid / uuid as written. */
export interface UriEntry extends EntryBase {
  uri: string;
}

/**
 * reference: a literal `Type/id[/_history/v]` reference (relative, or absolute on this server) gives targetType and
 * targetId; an absolute or canonical URL gives `url` (canonical `|version` split into `version`); a logical
 * Reference.identifier gives identifierSystem/identifierValue (for `:identifier`).
 */
export interface ReferenceEntry extends EntryBase {
  targetType?: string;
  targetId?: string;
  version?: string;
  url?: string;
  identifierSystem?: string;
  identifierValue?: string;
}

export interface IndexEntries {
  strings: StringEntry[];
  tokens: TokenEntry[];
  dates: DateEntry[];
  numbers: NumberEntry[];
  quantities: QuantityEntry[];
  uris: UriEntry[];
  references: ReferenceEntry[];
}

export function emptyEntries(): IndexEntries {
  return { strings: [], tokens: [], dates: [], numbers: [], quantities: [], uris: [], references: [] };
}
