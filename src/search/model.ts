/**
 * The backend-free search model: what a FHIR search asks for, after parsing and before any adapter compiles it.
 * Adapters (SQLite, MongoDB) and the in-memory matcher all read this shape; none of them sees the raw query string.
 * https://hl7.org/fhir/R4/search.html
 */

export type ParamType = 'token' | 'string' | 'date' | 'reference' | 'number' | 'quantity' | 'uri' | 'composite' | 'special';

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** A token value: `system|code`, `|code` (no system), `system|` (any code), or `code` (any system). */
export interface TokenValue {
  system?: string;      // undefined: any system; '' : explicitly no system
  code?: string;        // undefined: any code in the system
}

/** A date value as the instant range its precision implies, in ISO form comparable as strings (UTC, ms). */
export interface DateValue {
  prefix: Prefix;
  low: string;
  high: string;
}

export type FilterValue =
  | { kind: 'token'; value: TokenValue }
  | { kind: 'date'; value: DateValue }
  | { kind: 'id'; value: string };

/** One search parameter occurrence: its values are ORed; the filters of a query are ANDed. */
export interface Filter {
  param: string;
  type: ParamType;
  modifier?: string;
  values: FilterValue[];
}

export interface SortKey {
  param: string;
  descending: boolean;
}

export interface SearchQuery {
  /** Resource types searched; one for type-level search. */
  types: string[];
  filters: Filter[];
  sort: SortKey[];
  count: number;
  /** Opaque keyset cursor from a previous page. */
  cursor?: string;
  total: 'none' | 'estimate' | 'accurate';
}
