import type { SearchParameter } from 'fhir/r4';
import { searchParameterDefinitions, searchParametersFor } from '../fhir/definitions';
import { SPECIAL, supportFor, UNSUPPORTED, type ParamSupport } from './support';

/**
 * The search parameters a server evaluates: every official R4 SearchParameter, plus custom SearchParameter resources
 * activated per resource type by `$reindex` (src/operations/reindex/). One immutable set is in force at a time for
 * a store; activating custom parameters makes a new set, so a query parsed against one set never sees a half-changed
 * table. The parser, the extractor, the store adapters and /metadata all read the same set.
 */

/** A custom SearchParameter resource activated for one resource type. */
export interface CustomParameter {
  type: string;
  parameter: SearchParameter;
}

export class SearchParameters {
  private static officialSet: SearchParameters | undefined;

  /** The official R4 parameters alone: immutable, built lazily once and shared. */
  static official(): SearchParameters {
    return (SearchParameters.officialSet ??= new SearchParameters([]));
  }

  private readonly custom = new Map<string, Map<string, SearchParameter>>();
  private readonly customByUrl = new Map<string, SearchParameter>();
  private readonly tables = new Map<string, ReadonlyMap<string, ParamSupport>>();
  private readonly definitionsByType = new Map<string, ReadonlyMap<string, SearchParameter>>();
  private officialByUrl: Map<string, SearchParameter> | undefined;

  constructor(custom: readonly CustomParameter[]) {
    for (const { type, parameter } of custom) {
      let codes = this.custom.get(type);
      if (!codes) this.custom.set(type, (codes = new Map()));
      codes.set(parameter.code, parameter);
      if (parameter.url) this.customByUrl.set(parameter.url, parameter);
    }
  }

  /** The definitions that apply to `type`, by code; a custom parameter replaces an official one of the same code. */
  definitionsFor(type: string): ReadonlyMap<string, SearchParameter> {
    const own = this.custom.get(type);
    if (!own) return searchParametersFor(type);
    let merged = this.definitionsByType.get(type);
    if (!merged) this.definitionsByType.set(type, (merged = new Map([...searchParametersFor(type), ...own])));
    return merged;
  }

  /** A definition by canonical URL (composite components name theirs so); custom ones first. */
  definition(url: string): SearchParameter | undefined {
    const custom = this.customByUrl.get(url);
    if (custom) return custom;
    this.officialByUrl ??= new Map(searchParameterDefinitions().map((sp) => [sp.url, sp]));
    return this.officialByUrl.get(url);
  }

  /** How the server evaluates `code` on `type`, or undefined when it does not (unknown or not supported). */
  support(type: string, code: string): ParamSupport | undefined {
    return this.table(type).get(code);
  }

  /** Every supported parameter of a type, for the CapabilityStatement and `_revinclude=Type:*`. */
  supported(type: string): Array<{ code: string; support: ParamSupport }> {
    return [...this.table(type)].map(([code, support]) => ({ code, support }));
  }

  /** Why a parameter the spec defines for `type` is not evaluated here; undefined for supported or unknown ones. */
  unsupportedReason(type: string, code: string): string | undefined {
    return UNSUPPORTED.has(code) && this.definitionsFor(type).has(code) && !this.isCustom(type, code) ? UNSUPPORTED.get(code) : undefined;
  }

  isCustom(type: string, code: string): boolean {
    return this.custom.get(type)?.has(code) ?? false;
  }

  /** The custom parameters in force, for persisting and reporting. */
  customParameters(): CustomParameter[] {
    return [...this.custom].flatMap(([type, codes]) => [...codes.values()].map((parameter) => ({ type, parameter })));
  }

  /** Types with at least one custom parameter. */
  customTypes(): string[] {
    return [...this.custom.keys()];
  }

  /**
   * A new set in which the custom parameters of `types` (every type when 'all') are exactly `custom`; the custom
   * parameters of other types are kept.
   */
  replacing(types: readonly string[] | 'all', custom: readonly CustomParameter[]): SearchParameters {
    const kept = this.customParameters().filter((c) => types !== 'all' && !types.includes(c.type));
    return new SearchParameters([...kept, ...custom]);
  }

  private table(type: string): ReadonlyMap<string, ParamSupport> {
    if (this !== SearchParameters.official() && !this.custom.has(type)) return SearchParameters.official().table(type);
    let table = this.tables.get(type);
    if (!table) this.tables.set(type, (table = this.buildTable(type)));
    return table;
  }

  private buildTable(type: string): Map<string, ParamSupport> {
    const out = new Map<string, ParamSupport>();
    const definition = (url: string) => this.definition(url);
    for (const [code, sp] of this.definitionsFor(type)) {
      if (!UNSUPPORTED.has(code) || this.isCustom(type, code)) out.set(code, supportFor(type, sp, definition));
    }
    for (const [code, support] of SPECIAL) out.set(code, support);
    return out;
  }
}

/** The official set's answers, for code that has no store at hand (tests, tooling). */
export function searchParamSupport(type: string, code: string): ParamSupport | undefined {
  return SearchParameters.official().support(type, code);
}

export function supportedSearchParams(type: string): Array<{ code: string; support: ParamSupport }> {
  return SearchParameters.official().supported(type);
}
