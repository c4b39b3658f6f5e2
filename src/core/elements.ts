import type { FhirResource } from 'fhir/r4';
import { resourceStructureDefinitions } from '../fhir/definitions';
import { invalid } from '../fhir/errors';

/**
 * `_summary` and `_elements`: https://hl7.org/fhir/R4/search.html#summary and #elements. Both return a subset of the
 * resource marked with the SUBSETTED tag so no client mistakes it for the whole.
 */
export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';

const MANDATORY = ['resourceType', 'id', 'meta'];

export interface Projection {
  summary?: SummaryMode;
  elements?: string[];
}

export function parseProjection(query: Array<[string, string]>): Projection {
  const p: Projection = {};
  for (const [name, value] of query) {
    if (name === '_summary') {
      if (!['true', 'text', 'data', 'count', 'false'].includes(value)) throw invalid(`Unknown _summary value '${value}'`, ['_summary']);
      p.summary = value as SummaryMode;
    } else if (name === '_elements') {
      p.elements = [...(p.elements ?? []), ...value.split(',').map((e) => e.trim()).filter(Boolean)];
    }
  }
  return p;
}

export function project(resource: FhirResource, p: Projection): FhirResource {
  if (p.summary && p.summary !== 'false' && p.summary !== 'count') return summarise(resource, p.summary);
  if (p.elements && p.elements.length > 0) return pick(resource, p.elements.map((e) => e.split('.').pop()!));
  return resource;
}

function summarise(resource: FhirResource, mode: SummaryMode): FhirResource {
  const r = resource as unknown as Record<string, unknown>;
  if (mode === 'text') return subsetted(pickKeys(r, ['text', 'id', 'meta', 'resourceType', ...mandatoryOf(resource.resourceType)]));
  if (mode === 'data') {
    const { text: _text, ...rest } = r;
    return subsetted(rest);
  }
  return subsetted(pickKeys(r, [...MANDATORY, ...summaryElementsOf(resource.resourceType)]));
}

function pick(resource: FhirResource, names: string[]): FhirResource {
  return subsetted(pickKeys(resource as unknown as Record<string, unknown>, [...MANDATORY, ...names, ...mandatoryOf(resource.resourceType)]));
}

function pickKeys(r: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const wanted = new Set(keys.flatMap((k) => [k, `_${k}`]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (wanted.has(k) || isChoiceOf(k, wanted)) out[k] = v;
  return out;
}

function isChoiceOf(key: string, wanted: Set<string>): boolean {
  for (const w of wanted) if (w.endsWith('[x]') && key.startsWith(w.slice(0, -3))) return true;
  return false;
}

function subsetted(r: Record<string, unknown>): FhirResource {
  const meta = { ...((r.meta as object) ?? {}) } as { tag?: Array<{ system?: string; code?: string }> };
  const tag = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
  meta.tag = [...(meta.tag ?? []).filter((t) => t.code !== 'SUBSETTED'), tag];
  return { ...r, meta } as unknown as FhirResource;
}

/** Top-level elements flagged isSummary in the type's StructureDefinition. */
function summaryElementsOf(type: string): string[] {
  return topLevelElements(type, (e) => e.isSummary === true);
}

/** Top-level elements with min ≥ 1, which `_elements` must keep so the result is still valid. */
function mandatoryOf(type: string): string[] {
  return topLevelElements(type, (e) => (e.min ?? 0) > 0);
}

function topLevelElements(type: string, keep: (e: { isSummary?: boolean; min?: number }) => boolean): string[] {
  const sd = resourceStructureDefinitions().get(type);
  const names: string[] = [];
  for (const e of sd?.snapshot?.element ?? []) {
    const parts = e.path.split('.');
    if (parts.length === 2 && keep(e)) names.push(parts[1]);
  }
  return names;
}
