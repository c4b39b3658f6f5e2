import { isResourceType } from '../fhir/definitions';
import { FhirError } from '../fhir/errors';
import { isValidId } from '../fhir/validate';

/** Which interaction a request path names: https://hl7.org/fhir/R4/http.html */
export interface Route {
  level: 'system' | 'type' | 'instance' | 'version' | 'compartment';
  /** `metadata`, `_history`, `_search`, or an operation `$name`. */
  target?: string;
  type?: string;
  id?: string;
  versionId?: string;
  /** Compartment search (`Patient/1/Observation`, `Patient/1/*`): the member type asked for. */
  memberType?: string;
}

export function parseRoute(path: string): Route {
  const segments = path.split('/').filter((s) => s.length > 0).map(decodeSegment);
  if (segments.length > 4) throw new FhirError('not-found', `Unknown path '${path}'`);
  const [first, second, third, fourth] = segments;
  if (first === undefined) return { level: 'system' };
  if (first === 'metadata' || first === '_history' || first === '_search' || first.startsWith('$')) {
    if (segments.length > 1) throw new FhirError('not-found', `Unknown path '${path}'`);
    return { level: 'system', target: first };
  }
  const type = checkType(first);
  if (second === undefined) return { level: 'type', type };
  if (second === '_history' || second === '_search' || second.startsWith('$')) {
    if (segments.length > 2) throw new FhirError('not-found', `Unknown path '${path}'`);
    return { level: 'type', type, target: second };
  }
  const id = checkId(second);
  if (third === undefined) return { level: 'instance', type, id };
  if (third === '_history') {
    if (fourth === undefined) return { level: 'instance', type, id, target: '_history' };
    return { level: 'version', type, id, versionId: fourth };
  }
  if (third.startsWith('$') && fourth === undefined) return { level: 'instance', type, id, target: third };
  if (fourth === undefined && (third === '*' || isResourceType(third))) return { level: 'compartment', type, id, memberType: third };
  throw new FhirError('not-found', `Unknown path '${path}'`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new FhirError('invalid', `Malformed path segment '${segment}'`);
  }
}

function checkType(name: string): string {
  if (!isResourceType(name)) throw new FhirError('not-found', `Unknown resource type '${name}'`);
  return name;
}

function checkId(id: string): string {
  if (!isValidId(id)) throw new FhirError('invalid', { diagnostics: `Invalid resource id '${id}'`, code: 'value' });
  return id;
}
