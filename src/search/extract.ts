import type { FhirResource, SearchParameter } from 'fhir/r4';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { searchParametersFor } from '../fhir/definitions';

/**
 * Index extraction: the search values of a resource, computed once at write time from the SearchParameter
 * definitions, so that reads never evaluate FHIRPath. Backend-free: adapters store these entries their own way.
 */

export interface TokenEntry {
  param: string;
  system: string;   // '' when the value has no system
  code: string;
}

export interface IndexEntries {
  tokens: TokenEntry[];
}

type Evaluator = (resource: FhirResource) => unknown[];

/**
 * The token parameters extracted so far. Only `identifier` is indexed by the REST server (for conditional
 * interactions); the search issue extends this to every parameter type.
 */
const INDEXED_TOKEN_PARAMS = new Set(['identifier']);

/** Builds per-type extraction plans on first use; one extractor per app, so no module-level cache of plans. */
export class IndexExtractor {
  private readonly plans = new Map<string, Array<{ code: string; evaluate: Evaluator }>>();

  extract(resource: FhirResource): IndexEntries {
    const tokens: TokenEntry[] = [];
    for (const { code, evaluate } of this.planFor(resource.resourceType)) {
      for (const value of evaluate(resource)) tokens.push(...tokenEntries(code, value));
    }
    return { tokens };
  }

  private planFor(type: string): Array<{ code: string; evaluate: Evaluator }> {
    let plan = this.plans.get(type);
    if (!plan) {
      plan = [...searchParametersFor(type).values()]
        .filter((sp) => sp.type === 'token' && INDEXED_TOKEN_PARAMS.has(sp.code))
        .map((sp) => ({ code: sp.code, evaluate: compileFor(type, sp) }));
      this.plans.set(type, plan);
    }
    return plan;
  }
}

/**
 * Compiles the part of a (possibly multi-type) expression that applies to `type`. A plain `Type.a.b` path is read
 * directly, which is many times faster than the FHIRPath engine and covers most definitions.
 */
function compileFor(type: string, sp: SearchParameter): Evaluator {
  const parts = (sp.expression ?? '').split(/\s*\|\s*/).filter((p) => p.startsWith(`${type}.`) || p.startsWith('FhirResource.'));
  const simple = parts.every((p) => /^[A-Za-z]+(\.[a-z][A-Za-z]*)+$/.test(p));
  if (simple) {
    const paths = parts.map((p) => p.split('.').slice(1));
    return (resource) => paths.flatMap((path) => walk(resource, path));
  }
  const compiled = parts.map((p) => fhirpath.compile(p, r4Model));
  return (resource) => compiled.flatMap((fn) => fn(resource) as unknown[]);
}

function walk(node: unknown, path: string[]): unknown[] {
  if (node === undefined || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((n) => walk(n, path));
  if (path.length === 0) return [node];
  if (typeof node !== 'object') return [];
  return walk((node as Record<string, unknown>)[path[0]], path.slice(1));
}

/** Token entries of one value: Identifier, Coding, CodeableConcept, ContactPoint, code, boolean. */
function tokenEntries(param: string, value: unknown): TokenEntry[] {
  if (typeof value === 'string') return [{ param, system: '', code: value }];
  if (typeof value === 'boolean') return [{ param, system: '', code: String(value) }];
  if (!value || typeof value !== 'object') return [];
  const v = value as Record<string, any>;
  if (Array.isArray(v.coding)) return v.coding.flatMap((c: unknown) => tokenEntries(param, c));
  const code = v.code ?? v.value;
  if (typeof code !== 'string' && typeof code !== 'boolean') return [];
  return [{ param, system: typeof v.system === 'string' ? v.system : '', code: String(code) }];
}
