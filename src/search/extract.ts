import type { FhirResource, SearchParameter } from 'fhir/r4';
import { isUnionParam } from './aliases';
import { SearchParameters } from './parameters';
import { emptyEntries, type EntryBase, type IndexEntries } from './index-model';
import type { Target, TypedValue } from './extract-json';
import { compileForType, ExpressionProblem, rootPosition, type Route } from './extract-expression';
import { compileComposite, runComposite } from './extract-composite';
import { normaliserFor } from './extract-values';
import { isOfType } from './extract-types';

/**
 * Index extraction: the search values of a resource, computed once at write time from the SearchParameter
 * definitions (https://hl7.org/fhir/R4/searchparameter-registry.html), so that reads never evaluate FHIRPath.
 * Backend-free: each store adapter keeps the entries (src/search/index-model.ts) its own way.
 *
 * For each resource type a plan is built on first use: every parameter that applies to the type (its own and
 * those of Resource and DomainResource), with the branch of its expression for that type compiled once. Plans
 * live in the extractor, so one extractor per store keeps them for the life of its parameter set.
 */

export interface ExtractorOptions {
  /**
   * The service bases under which an absolute reference (`https://base/Patient/1`) counts as local and so also
   * indexes as Patient/1. When omitted, every absolute `…/Type/id` reference does.
   */
  localBases?: readonly string[];
  /** Told about every parameter skipped, at plan time (cannot compile) or for one resource (evaluation failed). */
  onSkip?: (skip: SkippedParameter) => void;
  /**
   * The parameter set to extract, asked on every call so that a store switching sets (custom parameters activated
   * by $reindex) is followed at once; plans are rebuilt when the answer changes. The official R4 set by default.
   */
  parameters?: () => SearchParameters;
}

export interface SkippedParameter {
  resourceType: string;
  code: string;
  reason: string;
}

/** How one parameter of a type is extracted, for diagnostics and tests. */
export interface PlannedParameter {
  code: string;
  type: string;
  route: Route | 'skipped';
  reason?: string;
}

interface ParameterPlan {
  code: string;
  /** Shared by every entry-making call for this parameter; never changed. */
  stamp: EntryBase;
  run: (root: TypedValue, to: Target) => void;
}

interface TypePlan {
  /** The type path the resource itself has in the compiled expressions (see rootPosition). */
  root: string;
  parameters: ParameterPlan[];
  described: PlannedParameter[];
}

/**
 * Parameters with no expression: `_text`, `_content` (full-text search, left to a text index) and `_query` (a
 * named query): https://hl7.org/fhir/R4/search.html#all. `special` parameters (Location `near`) need geometry.
 */
const NOT_EXTRACTED_TYPES: ReadonlySet<string> = new Set(['special']);

export class IndexExtractor {
  private readonly plans = new Map<string, TypePlan>();
  private readonly isLocalBase: (base: string) => boolean;
  private readonly parameters: () => SearchParameters;
  /** The set the plans were built from. */
  private planned: SearchParameters | undefined;

  constructor(private readonly options: ExtractorOptions = {}) {
    const bases = options.localBases?.map((b) => b.replace(/\/+$/, ''));
    this.isLocalBase = bases ? (base) => bases.includes(base) : () => true;
    this.parameters = options.parameters ?? SearchParameters.official;
  }

  /** The index entries of a resource. Never throws: a parameter that fails for this resource is left out. */
  extract(resource: FhirResource): IndexEntries {
    const entries = emptyEntries();
    const plan = this.planFor(resource.resourceType);
    const root: TypedValue = { value: resource, type: plan.root };
    const to: Target = { stamp: { param: '' }, entries, isLocalBase: this.isLocalBase };
    for (const parameter of plan.parameters) {
      to.stamp = parameter.stamp;
      try {
        parameter.run(root, to);
      } catch (err) {
        this.skip(resource.resourceType, parameter.code, `evaluation failed: ${messageOf(err)}`);
      }
    }
    return entries;
  }

  /** How each parameter of `type` is extracted: on the fast path, through the FHIRPath engine, or not at all. */
  describePlan(type: string): PlannedParameter[] {
    return this.planFor(type).described;
  }

  /**
   * Why `sp` cannot be extracted on `type` (for checking a custom parameter before it is activated), or undefined
   * when it can.
   */
  problemWith(sp: SearchParameter, type: string, within: SearchParameters): string | undefined {
    const compiled = this.compileParameter(sp, type, within);
    return typeof compiled === 'string' ? compiled : undefined;
  }

  private planFor(type: string): TypePlan {
    const parameters = this.parameters();
    if (parameters !== this.planned) {
      this.plans.clear();
      this.planned = parameters;
    }
    let plan = this.plans.get(type);
    if (!plan) this.plans.set(type, (plan = this.buildPlan(type, parameters)));
    return plan;
  }

  private buildPlan(type: string, parameters: SearchParameters): TypePlan {
    const plan: TypePlan = { root: rootPosition(type), parameters: [], described: [] };
    for (const sp of parameters.definitionsFor(type).values()) {
      const compiled = this.compileParameter(sp, type, parameters);
      if (typeof compiled === 'string') {
        plan.described.push({ code: sp.code, type: sp.type, route: 'skipped', reason: compiled });
        this.skip(type, sp.code, compiled);
      } else {
        plan.parameters.push({ code: sp.code, stamp: Object.freeze({ param: sp.code }), run: compiled.run });
        plan.described.push({ code: sp.code, type: sp.type, route: compiled.route });
      }
    }
    return plan;
  }

  /** The runnable plan of one parameter, or why it is not extracted. */
  private compileParameter(sp: SearchParameter, type: string, parameters: SearchParameters): { run: ParameterPlan['run']; route: Route } | string {
    if (!sp.expression) return 'no expression (full-text or named-query parameter)';
    if (isUnionParam(type, sp.code) && !parameters.isCustom(type, sp.code)) return 'the union of two other parameters, whose entries answer it (src/search/aliases.ts)';
    if (NOT_EXTRACTED_TYPES.has(sp.type)) return `${sp.type} parameters are not indexed`;
    try {
      return sp.type === 'composite' ? compileCompositeParameter(sp, type, parameters) : compileSimple(sp, type);
    } catch (err) {
      return err instanceof ExpressionProblem ? err.message : `expression does not compile: ${messageOf(err)}`;
    }
  }


  private skip(resourceType: string, code: string, reason: string): void {
    this.options.onSkip?.({ resourceType, code, reason });
  }
}

function compileCompositeParameter(sp: SearchParameter, type: string, parameters: SearchParameters): { run: ParameterPlan['run']; route: Route } | string {
  const plan = compileComposite(sp, type, (url) => parameters.definition(url));
  if (typeof plan === 'string') return plan;
  return { run: (root, to) => runComposite(plan, root, to), route: plan.route };
}

function compileSimple(sp: SearchParameter, type: string): { run: ParameterPlan['run']; route: Route } | string {
  const normalise = normaliserFor(sp.type);
  if (!normalise) return `unknown parameter type ${sp.type}`;
  const compiled = compileForType(sp.expression ?? '', type);
  if (compiled.positions.length > 0 && compiled.positions.every((p) => isOfType(p, 'Resource'))) {
    return 'the expression yields whole resources (Bundle.entry[0].resource), not values a parameter indexes';
  }
  const evaluate = compiled.evaluate;
  const run = (root: TypedValue, to: Target): void => {
    for (const v of evaluate([root], root)) normalise(v.value, v.type, to);
  };
  return { run, route: compiled.route };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
