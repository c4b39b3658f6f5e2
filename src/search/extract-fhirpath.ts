import fhirpath from 'fhirpath';
import { R4_MODEL } from '../fhir/fhirpath-patch-model';
import { literalReference } from './extract-references';
import { fhirPrimitiveOf } from './extract-types';
import { asRecord, type TypedValue } from './extract-json';
import type { PathEvaluator } from './extract-path';

/**
 * The slow path: expressions outside the fast-path grammar (extract-path.ts), such as
 * `Patient.deceased.exists() and Patient.deceased != false`, evaluated by the fhirpath package against the R4
 * model. Each is compiled once, when its plan is built. Values come back as the engine's nodes, which carry the
 * FHIR type the normalisers need.
 *
 * `resolve()` cannot fetch anything at write time. It is given an implementation that answers, for a literal
 * reference, a stub `{resourceType}` of the type the reference names, and `resolve() is T` is rewritten to
 * compare that name, which keeps https://hl7.org/fhir/R4/search.html#reference's "references whose target is a T"
 * without a lookup.
 */

type Engine = (data: unknown, env?: Record<string, unknown>) => unknown[];

interface EngineNode {
  data: unknown;
  path: string | null;
  fhirNodeDataType?: string;
}

const RESOLVE_IS = /resolve\(\)\s+is\s+(?:FHIR\.)?([A-Z][A-Za-z]+)/g;

const STUB_RESOLVE = {
  resolve: { fn: resolveToTypeStub, arity: { 0: [] } },
};

/** Compiles `expression` for a whole resource (its context is the resource). Throws if it does not parse. */
export function compileEngine(expression: string): PathEvaluator {
  const engine = compileWith(expression);
  return function evaluateWithEngine(_context, root) {
    return engine(root.value, { resource: root.value, rootResource: root.value }).map(typedValue);
  };
}

/**
 * Compiles `expression` for values inside a resource (composite components): the engine needs the path of the
 * context to know its element types, so one evaluator is compiled per context type path, on first use.
 */
export function compileRelativeEngine(expression: string): PathEvaluator {
  compileWith(expression);
  const byBase = new Map<string, Engine>();
  return function evaluateRelativeWithEngine(context, root) {
    const found: TypedValue[] = [];
    for (const item of context) {
      let engine = byBase.get(item.type);
      if (!engine) byBase.set(item.type, (engine = compileWith({ base: item.type, expression })));
      for (const node of engine(item.value, { resource: root.value, rootResource: root.value })) found.push(typedValue(node));
    }
    return found;
  };
}

function compileWith(path: string | { base: string; expression: string }): Engine {
  const rewrite = (e: string): string => e.replace(RESOLVE_IS, "resolve().resourceType = '$1'");
  const source = typeof path === 'string' ? rewrite(path) : { base: path.base, expression: rewrite(path.expression) };
  return fhirpath.compile(source, R4_MODEL, { resolveInternalTypes: false, userInvocationTable: STUB_RESOLVE }) as Engine;
}

function resolveToTypeStub(inputs: unknown[]): Array<{ resourceType: string }> {
  const stubs: Array<{ resourceType: string }> = [];
  for (const input of inputs) {
    const reference = asRecord(fhirpath.util.valData(input))?.reference;
    const literal = typeof reference === 'string' ? literalReference(reference) : undefined;
    if (literal) stubs.push({ resourceType: literal.type });
  }
  return stubs;
}

/** An engine result as a typed value: backbone elements keep their path, engine-made values get a JSON form. */
function typedValue(result: unknown): TypedValue {
  if (isEngineNode(result)) {
    const type = result.fhirNodeDataType ?? 'Element';
    const position = (type === 'BackboneElement' || type === 'Element') && result.path ? result.path : type;
    return { value: plainValue(result.data), type: fhirPrimitiveOf(position) };
  }
  const value = plainValue(result);
  return { value, type: typeof value === 'boolean' ? 'boolean' : typeof value === 'number' ? 'decimal' : 'string' };
}

function isEngineNode(value: unknown): value is EngineNode {
  return asRecord(value) !== undefined && 'data' in (value as object) && 'parentResNode' in (value as object);
}

/** The engine's own value classes (FP_DateTime, FP_Decimal, FP_Quantity) as plain JSON values. */
function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return value;
  const toJson = (value as { toJSON?: () => unknown }).toJSON;
  return typeof toJson === 'function' ? toJson.call(value) : value;
}
