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

/** A number or quantity value with the range its written precision implies (`1.5` is [1.45, 1.55)). */
export interface NumberValue {
  prefix: Prefix;
  value: number;
  low: number;
  high: number;
}

export interface QuantityValue extends NumberValue {
  system?: string;
  code?: string;
}

/** A reference value: `Type/id`, `id` (any type the parameter allows), or an absolute/canonical URL. */
export interface ReferenceValue {
  type?: string;
  id?: string;
  version?: string;
  url?: string;
}

export type FilterValue =
  | { kind: 'id'; value: string }
  | { kind: 'token'; value: TokenValue }
  | { kind: 'string'; value: string }
  | { kind: 'date'; value: DateValue }
  | { kind: 'number'; value: NumberValue }
  | { kind: 'quantity'; value: QuantityValue }
  | { kind: 'uri'; value: string }
  | { kind: 'reference'; value: ReferenceValue }
  /** `:missing=true|false` */
  | { kind: 'missing'; value: boolean }
  /** One value per component, in the SearchParameter's component order. */
  | { kind: 'composite'; value: FilterValue[] };

/** One search parameter occurrence: its values are ORed; the filters of a query are ANDed. */
export interface ParamFilter {
  kind: 'param';
  param: string;
  type: ParamType;
  modifier?: string;
  values: FilterValue[];
}

/** `subject:Patient.name=x`: resources whose reference `param` points at a `targetType` matching `filter`. */
export interface ChainFilter {
  kind: 'chain';
  param: string;
  targetTypes: string[];
  filter: Filter;
}

/** `_has:Observation:patient:code=x`: resources that a `type` resource's `param` refers to, where it matches. */
export interface HasFilter {
  kind: 'has';
  type: string;
  param: string;
  filter: Filter;
}

/**
 * Membership of a compartment (https://hl7.org/fhir/R4/compartmentdefinition.html): a resource of type T is in
 * Patient/x's compartment when any of `paramsByType[T]` references Patient/x; the compartment's own resource
 * (Patient/x itself) is in it too.
 */
export interface CompartmentFilter {
  kind: 'compartment';
  compartmentType: string;
  id: string;
  paramsByType: Record<string, string[]>;
}

/**
 * Every one of `filters`. A query's filter list is already ANDed; this form is for where one filter must stand for
 * several, such as the access restrictions put on the target of a chain or the source of a `_has`.
 */
export interface AllFilter {
  kind: 'all';
  filters: Filter[];
}

export type Filter = ParamFilter | ChainFilter | HasFilter | CompartmentFilter | AllFilter;

export interface SortKey {
  param: string;
  /**
   * The parameter's type on the searched types, set by the parser (which checks they agree), so that adapters can
   * sort by custom parameters without a lookup. When absent, adapters take the official definition's type.
   */
  type?: ParamType;
  descending: boolean;
}

/** `_include=Type:param[:targetType]` / `_revinclude=…`, `*` for every reference parameter. */
export interface Include {
  sourceType: string;
  param: string;   // '*' for all
  targetType?: string;
  iterate: boolean;
}

export interface SearchQuery {
  /** Resource types searched; one for type-level search, several (or all) for system search. */
  types: string[];
  filters: Filter[];
  sort: SortKey[];
  count: number;
  /** Opaque keyset cursor from a previous page. */
  cursor?: string;
  total: 'none' | 'estimate' | 'accurate';
  includes?: Include[];
  revincludes?: Include[];
}
