import { searchParametersFor } from '../fhir/definitions';
import type { ParamType } from './model';

/**
 * Which search parameters this server really evaluates, and how. The CapabilityStatement and the parser both read
 * this one table, so /metadata never lists a parameter that does not work.
 */
export interface ParamSupport {
  type: ParamType;
  modifiers: string[];
  sortable: boolean;
  documentation: string;
}

const COMMON: Record<string, ParamSupport> = {
  _id: { type: 'token', modifiers: [], sortable: true, documentation: 'Logical id; comma-separated values are ORed' },
  _lastUpdated: {
    type: 'date', modifiers: [], sortable: true,
    documentation: 'meta.lastUpdated with prefixes eq, ne, gt, lt, ge, le, sa, eb',
  },
};

const IDENTIFIER: ParamSupport = {
  type: 'token', modifiers: [], sortable: false, documentation: 'Identifier as system|value, |value, system| or value',
};

export function searchParamSupport(type: string, code: string): ParamSupport | undefined {
  if (COMMON[code]) return COMMON[code];
  if (code === 'identifier' && searchParametersFor(type).get('identifier')?.type === 'token') return IDENTIFIER;
  return undefined;
}

/** Every supported parameter of a type, for the CapabilityStatement. */
export function supportedSearchParams(type: string): Array<{ code: string; support: ParamSupport }> {
  return [...Object.keys(COMMON), 'identifier']
    .map((code) => ({ code, support: searchParamSupport(type, code) }))
    .filter((p): p is { code: string; support: ParamSupport } => p.support !== undefined);
}
