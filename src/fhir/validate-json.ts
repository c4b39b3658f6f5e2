import type { IssueCode } from './validate-schema';

/**
 * Rules of the FHIR JSON format that hold whatever the type, checked in one pass over the whole tree before the
 * schema runs (http://hl7.org/fhir/R4/json.html):
 * - no empty strings, objects or arrays, and no object holding only an `id` (ele-1);
 * - null only inside the arrays of a repeating primitive, where it pads `given` against `_given`; the two arrays
 *   have the same length and never both hold null at the same index;
 * - only JSON values (no undefined, functions, NaN, Dates...), for callers that hand us objects, not parsed text;
 * - nesting depth at most MAX_DEPTH. The schema validator and our own recursion are recursive, so a deeper (or
 *   cyclic) input stops the validation here with one issue instead of overflowing the stack.
 */
export const MAX_DEPTH = 100;

export interface ScanIssue {
  expression: string;
  code: IssueCode;
  diagnostics: string;
}

export interface ScanResult {
  issues: ScanIssue[];
  /** True when the input is nested deeper than MAX_DEPTH (or cyclic): nothing else may walk it. */
  tooDeep: boolean;
}

type Segment = string | number;

export function scanJson(root: unknown, rootExpression: string): ScanResult {
  const scan = new JsonScan(rootExpression);
  scan.visit(root, 0);
  return { issues: scan.issues, tooDeep: scan.tooDeep };
}

class JsonScan {
  readonly issues: ScanIssue[] = [];
  tooDeep = false;
  /** The path to the value being visited; an expression is only built when an issue needs one. */
  private readonly path: Segment[] = [];

  constructor(private readonly rootExpression: string) {}

  visit(value: unknown, depth: number): void {
    if (value === null || typeof value !== 'object') return this.visitScalar(value);
    if (depth >= MAX_DEPTH) return this.stopTooDeep();
    if (Array.isArray(value)) return this.visitArray(value, depth);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return this.report('structure', `Not a JSON value (${proto?.constructor?.name ?? 'object'})`);
    this.visitObject(value as Record<string, unknown>, depth);
  }

  private visitScalar(value: unknown): void {
    if (value === null) this.report('structure', 'null is not allowed here: leave the element out instead');
    else if (value === '') this.report('value', 'Empty string: leave the element out instead (a FHIR value cannot be empty)');
    else if (typeof value === 'number' && !Number.isFinite(value)) this.report('value', `${value} is not a JSON number`);
    else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') this.report('structure', `Not a JSON value (${typeof value})`);
  }

  private visitObject(obj: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(obj);
    if (keys.length === 0) this.report('structure', 'Empty object: an element must have a value or children (ele-1)');
    else if (keys.length === 1 && keys[0] === 'id') this.report('structure', "An element must have a value or children besides 'id' (ele-1)");
    // An array can only have a `_` twin in an object with some `_` key; most objects have none, and then no
    // twin name is built and looked up for each array.
    const twins = keys.some(isTwinKey);
    for (const key of keys) {
      const child = obj[key];
      this.path.push(key);
      if (Array.isArray(child) && twins && depth + 1 < MAX_DEPTH) this.visitPrimitiveArray(key, child, obj, depth + 1);
      else if (Array.isArray(child) && depth + 1 < MAX_DEPTH) this.visitArray(child, depth + 1);
      else this.visit(child, depth + 1);
      this.path.pop();
      if (this.tooDeep) return;
    }
  }

  private visitArray(items: unknown[], depth: number): void {
    if (items.length === 0) this.report('structure', 'Empty array: leave the element out instead');
    for (let i = 0; i < items.length && !this.tooDeep; i++) this.visitItem(items[i], i, depth);
  }

  /** An array under `key`, where nulls are padding when the twin array (`_key` / `key`) has a value at that index. */
  private visitPrimitiveArray(key: string, items: unknown[], parent: Record<string, unknown>, depth: number): void {
    const twinKey = key.startsWith('_') ? key.slice(1) : `_${key}`;
    const twin = parent[twinKey];
    if (!Array.isArray(twin)) return this.visitArray(items, depth);
    if (!key.startsWith('_') && twin.length !== items.length) {
      this.report('structure', `'${key}' has ${items.length} values but '${twinKey}' has ${twin.length}: the arrays must align`);
    }
    if (items.length === 0) this.report('structure', 'Empty array: leave the element out instead');
    for (let i = 0; i < items.length && !this.tooDeep; i++) {
      if (items[i] === null && twin[i] !== null && twin[i] !== undefined) continue;
      this.visitItem(items[i], i, depth);
    }
  }

  private visitItem(item: unknown, index: number, depth: number): void {
    this.path.push(index);
    if (item === null) this.report('structure', 'null is only allowed in a primitive array whose _ twin has a value at the same index');
    else this.visit(item, depth + 1);
    this.path.pop();
  }

  private stopTooDeep(): void {
    this.tooDeep = true;
    this.report('too-long', `Nested deeper than ${MAX_DEPTH} levels (or cyclic): not validated further`);
  }

  private report(code: IssueCode, diagnostics: string): void {
    this.issues.push({ expression: formatPath(this.rootExpression, this.path), code, diagnostics });
  }
}

/** `_given`: the extension twin of a primitive element (http://hl7.org/fhir/R4/json.html#primitive). */
function isTwinKey(key: string): boolean {
  return key.charCodeAt(0) === 95;
}

/** 'Patient' + ['name', 0, 'given', 1] → 'Patient.name[0].given[1]'. */
export function formatPath(root: string, path: readonly Segment[]): string {
  let out = root;
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : `.${seg}`;
  return out;
}
