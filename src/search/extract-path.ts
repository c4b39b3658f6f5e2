import { childSlots, fhirTypeName, isOfType, type Slot } from './extract-types';
import { literalReference } from './extract-references';
import { asRecord, type TypedValue } from './extract-json';

/**
 * The fast path: search expressions that are plain navigation, read straight from the JSON without the FHIRPath
 * engine. Most R4 definitions are of this form, and reading a few keys is far cheaper than building the engine's
 * node tree. The grammar covered (anything else goes to the engine, extract-fhirpath.ts):
 *
 *   part  := '(' path ' as ' Type ')' ('.' step)* | path
 *   path  := head ('.' step)*
 *   head  := ResourceType | 'Resource' | 'DomainResource' | '%resource' | step
 *   step  := name | name '[' n ']' | 'as(' Type ')' | 'ofType(' Type ')'
 *          | 'where(resolve() is ' Type ')' | 'where(' name '=' "'" text "'" ')'
 *
 * Every step is resolved against the R4 element model at compile time, so choice elements become their typed JSON
 * keys (`Observation.value as Quantity` reads `valueQuantity`) and every value carries its FHIR type.
 */

export type PathEvaluator = (context: TypedValue[], root: TypedValue) => TypedValue[];

interface Compiled {
  run: PathEvaluator;
  /** The type paths the values may have after this step. */
  positions: string[];
}

type StepCompiler = ((positions: string[], rootType: string) => Compiled | undefined) & {
  /** Set on a plain child step (no `[n]`): the same step reading only the keys whose values are of a type. */
  narrowedTo?: (type: string) => StepCompiler;
  /** Set on an `as(T)` step: T. */
  asType?: string;
};

/**
 * Compiles `expression` for values whose type paths are `start` inside a resource of `rootType`. Undefined when it
 * is outside the fast-path grammar (the engine must take it); a message when it is inside but cannot apply here,
 * because it names an element or type R4 does not have at that point.
 */
export function compilePath(expression: string, start: string[], rootType: string): Compiled | string | undefined {
  const parsed = parseExpression(expression.trim());
  if (!parsed) return undefined;
  const steps = fuseTypedChildren(parsed);
  let positions = start;
  const runs: PathEvaluator[] = [];
  for (const step of steps) {
    const compiled = step(positions, rootType);
    if (!compiled) return `"${expression}" names something R4 does not define under ${positions.join(', ') || 'nothing'}`;
    if (compiled.run !== unchanged) runs.push(compiled.run);
    positions = compiled.positions;
  }
  return { run: chain(runs), positions };
}

/**
 * `value as Quantity`, `value.as(Quantity)`: the child step reads only `valueQuantity` instead of all eleven
 * value[x] keys and leaving the `as` to drop the others. The `as` step stays, and keeps everything.
 */
function fuseTypedChildren(steps: StepCompiler[]): StepCompiler[] {
  return steps.map((step, i) => {
    const type = steps[i + 1]?.asType;
    return type !== undefined && step.narrowedTo ? step.narrowedTo(type) : step;
  });
}

function chain(runs: PathEvaluator[]): PathEvaluator {
  return function evaluatePath(context, root) {
    let values = context;
    for (let i = 0; i < runs.length && values.length > 0; i++) values = runs[i](values, root);
    return values;
  };
}

const AS_WRAPPED = /^(.*) as ([A-Za-z]+)$/s;

/** The step compilers of one `|`-free expression, or undefined when it is outside the grammar. */
function parseExpression(expression: string): StepCompiler[] | undefined {
  if (!expression.startsWith('(')) return parseChain(expression, true);
  const close = matchingParen(expression, 0);
  const inner = close > 0 ? AS_WRAPPED.exec(expression.slice(1, close)) : null;
  if (!inner) return undefined;
  const rest = expression.slice(close + 1);
  if (rest !== '' && !rest.startsWith('.')) return undefined;
  const head = parseExpression(inner[1].trim());
  const tail = rest === '' ? [] : parseChain(rest.slice(1), false);
  if (!head || !tail) return undefined;
  return [...head, asType(inner[2]), ...tail];
}

function parseChain(expression: string, withHead: boolean): StepCompiler[] | undefined {
  const parts = splitTopLevel(expression, '.');
  const steps: StepCompiler[] = [];
  for (let i = 0; i < parts.length; i++) {
    const step = (withHead && i === 0 ? parseHead(parts[i]) : undefined) ?? parseStep(parts[i]);
    if (!step) return undefined;
    steps.push(step);
  }
  return steps;
}

const TYPE_HEAD = /^[A-Z][A-Za-z]+$/;

function parseHead(text: string): StepCompiler | undefined {
  if (text === '%resource') return rootStep;
  return TYPE_HEAD.test(text) ? typeHead(text) : undefined;
}

const CHILD = /^([a-z][A-Za-z0-9]*)(?:\[(\d+)\])?$/;
const AS_CALL = /^(?:as|ofType)\(([A-Za-z]+)\)$/;
const RESOLVE_IS = /^where\(resolve\(\) is ([A-Z][A-Za-z]+)\)$/;
const WHERE_EQUALS = /^where\(([a-z][A-Za-z0-9]*) ?= ?'([^'\\]*)'\)$/;

function parseStep(text: string): StepCompiler | undefined {
  let m = CHILD.exec(text);
  if (m) return child(m[1], m[2] === undefined ? undefined : Number(m[2]));
  if ((m = AS_CALL.exec(text))) return asType(m[1]);
  if ((m = RESOLVE_IS.exec(text))) return referencesTo(m[1]);
  if ((m = WHERE_EQUALS.exec(text))) return whereEquals(m[1], m[2]);
  return undefined;
}

/** `%resource`: the resource the expression is evaluated for (used by composite components). */
function rootStep(_positions: string[], rootType: string): Compiled {
  return { run: (_context, root) => [root], positions: [rootType] };
}

/** A leading type name filters the context to that type: `Patient.name` on a Patient, `Resource.id` on any. */
function typeHead(name: string): StepCompiler {
  return (positions) => {
    const kept = positions.filter((p) => isOfType(p, name));
    if (kept.length === 0) return undefined;
    if (kept.length === positions.length) return { run: unchanged, positions };
    const keep = new Set(kept);
    return { run: (context) => context.filter((v) => keep.has(v.type)), positions: kept };
  };
}

/** A step that keeps its context as it is (a type head that every possible context passes); left out of chains. */
const unchanged: PathEvaluator = (context) => context;

/** A child element: its JSON key(s) looked up once per possible parent type; `[n]` keeps the n-th value found. */
function child(name: string, index: number | undefined): StepCompiler {
  const step: StepCompiler = (positions) => compileChild(name, index, positions, undefined);
  if (index === undefined) step.narrowedTo = (type) => (positions) => compileChild(name, undefined, positions, type);
  return step;
}

/** With `onlyType`, keys whose values are not of that type are not read (the `as` that follows would drop them). */
function compileChild(name: string, index: number | undefined, positions: string[], onlyType: string | undefined): Compiled | undefined {
  const wanted = onlyType === undefined ? undefined : fhirTypeName(onlyType);
  const table = new Map<string, Slot[]>();
  let known = false;
  for (const p of positions) {
    const slots = childSlots(p, name);
    if (!slots) continue;
    known = true;
    const kept = wanted === undefined ? slots : slots.filter((s) => isOfType(s.position, wanted));
    if (kept.length > 0) table.set(p, kept);
  }
  if (!known) return undefined;
  const out = [...new Set([...table.values()].flat().map((s) => s.position))];
  if (table.size === 0) return { run: () => [], positions: out };
  const read = readChildren(table);
  const run: PathEvaluator = index === undefined ? read : (context, root) => read(context, root).slice(index, index + 1);
  return { run, positions: out };
}

function readChildren(table: Map<string, Slot[]>): PathEvaluator {
  return function readChild(context) {
    const found: TypedValue[] = [];
    for (const parent of context) {
      const slots = table.get(parent.type);
      const record = slots && asRecord(parent.value);
      if (!record) continue;
      for (const slot of slots) collect(record[slot.key], slot.position, found);
    }
    return found;
  };
}

/** A JSON value as typed values: arrays flattened, nulls (placeholders beside `_name` arrays) dropped. */
function collect(value: unknown, type: string, into: TypedValue[]): void {
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) {
    into.push({ value, type });
    return;
  }
  for (const item of value) if (item !== undefined && item !== null) into.push({ value: item, type });
}

/** `as(T)`, `ofType(T)`, `(x as T)`: keeps values of type T or a specialisation of it (Age is a Quantity). */
function asType(name: string): StepCompiler {
  const step: StepCompiler = (positions) => {
    const wanted = fhirTypeName(name);
    if (!wanted) return undefined;
    const kept = positions.filter((p) => isOfType(p, wanted));
    if (kept.length === positions.length) return { run: unchanged, positions };
    const keep = new Set(kept);
    return { run: (context) => context.filter((v) => keep.has(v.type)), positions: kept };
  };
  step.asType = name;
  return step;
}

/**
 * `where(resolve() is T)`: nothing can be resolved at write time, so this keeps the References whose literal
 * reference names type T (`Patient/1`, `http://base/Patient/1`); references without a literal type are dropped.
 */
function referencesTo(type: string): StepCompiler {
  return (positions) => {
    if (!positions.some((p) => isOfType(p, 'Reference'))) return undefined;
    return { run: (context) => context.filter((v) => literalTypeOf(v.value) === type), positions };
  };
}

function literalTypeOf(value: unknown): string | undefined {
  const reference = asRecord(value)?.reference;
  return typeof reference === 'string' ? literalReference(reference)?.type : undefined;
}

/** `where(name = 'text')` on a primitive child (`telecom.where(system='email')`). */
function whereEquals(name: string, text: string): StepCompiler {
  return (positions) => {
    if (!positions.some((p) => childSlots(p, name)?.length === 1)) return undefined;
    return { run: (context) => context.filter((v) => asRecord(v.value)?.[name] === text), positions };
  };
}

/** Splits at `separator` where it is outside parentheses, brackets and quotes. */
export function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && c === separator) {
      parts.push(text.slice(from, i).trim());
      from = i + 1;
    }
  }
  parts.push(text.slice(from).trim());
  return parts;
}

/** The index of the parenthesis closing the one at `open`, or -1. */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}
