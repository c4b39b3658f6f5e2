import { compile, type ResourceNode } from 'fhirpath';
import { FhirError, invalid } from './errors';
import { extraObjectOf, isJsonObject, type JsonObject, listLength, readSlot, type Slot } from './fhirpath-patch-json';
import { childElement, choiceSuffixesAt, type ElementInfo, R4_MODEL, type TypePath } from './fhirpath-patch-model';

/**
 * Finds where in the JSON the elements selected by a FHIRPath expression live. The fhirpath package, asked not
 * to resolve its internal types, returns ResourceNodes that know their parent node, property name and list
 * index; from those we get back to the owning JSON object and key, so the patch can change the copy in place.
 */

export interface Located {
  node: ResourceNode;
  /** Absent for the resource being patched itself. */
  slot?: Slot;
  /** The definition of the element at `slot`. */
  element?: ElementInfo;
}

/** A repeating element, as a whole: `owner[key]` (plus `_key` for primitives). */
export interface ListLocation {
  owner: JsonObject;
  key: string;
  element: ElementInfo;
  count: number;
}

const EVALUATION_OPTIONS = { resolveInternalTypes: false, async: false, traceFn: ignoreTrace } as const;

/** Evaluates `expression` against the resource (which is also %resource and %rootResource). */
export function evaluatePath(resource: JsonObject, expression: string): unknown[] {
  let evaluator: (resource: unknown, env?: Record<string, unknown>) => unknown[];
  try {
    evaluator = compile(quoteKeywordMembers(expression), R4_MODEL, EVALUATION_OPTIONS);
  } catch (err) {
    throw invalid(`"${expression}" is not a valid FHIRPath expression: ${messageOf(err)}`);
  }
  try {
    return evaluator(resource, { resource, rootResource: resource });
  } catch (err) {
    throw unprocessable(`evaluating "${expression}" failed: ${messageOf(err)}`);
  }
}

/**
 * Narrative.div is an element, but `div` is also a FHIRPath operator keyword, and the FHIRPath grammar
 * (http://hl7.org/fhirpath/N1/grammar.html, rule `identifier`) only lets keywords be names when escaped as
 * `div`. The FHIRPath Patch spec's own test cases write Patient.text.div, as do clients, so a keyword that
 * directly follows a '.' (where an operator can never stand) is escaped for them. Strings and already-escaped
 * names are left alone.
 */
export function quoteKeywordMembers(expression: string): string {
  let result = '';
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'" || c === '`') {
      const end = closingQuote(expression, i);
      result += expression.slice(i, end + 1);
      i = end;
      continue;
    }
    result += c;
    const keyword = c === '.' ? KEYWORD_MEMBER.exec(expression.slice(i + 1)) : null;
    if (keyword) {
      result += '`' + keyword[0] + '`';
      i += keyword[0].length;
    }
  }
  return result;
}

/** Operator keywords that cannot be plain identifiers, when not followed by more name or a call. */
const KEYWORD_MEMBER = /^(div|mod|and|or|xor|implies)(?![A-Za-z0-9_(`])/;

/** Index of the quote closing the string or delimited name opened at `start` (backslash escapes skipped). */
function closingQuote(expression: string, start: number): number {
  for (let i = start + 1; i < expression.length; i++) {
    if (expression[i] === '\\') i++;
    else if (expression[i] === expression[start]) return i;
  }
  return expression.length - 1;
}

/** The one element `expression` selects; `doing` completes "No content found at X when ...". */
export function locateSingle(resource: JsonObject, expression: string, doing: string): Located {
  const found = evaluatePath(resource, expression);
  if (found.length === 0) throw unprocessable(`No content found at ${expression} when ${doing}`);
  if (found.length > 1) throw unprocessable(`${expression} matches ${found.length} elements; ${doing} needs exactly one`);
  return locate(found[0], resource, expression);
}

/**
 * Places a result of the expression in the resource. Results that are not elements of this resource (literals,
 * computed values, other resources reached through resolve()) are refused: the spec forbids changing anything
 * but the resource being patched.
 */
export function locate(result: unknown, resource: JsonObject, expression: string): Located {
  if (!isResourceNode(result) || rootOf(result).data !== resource) {
    throw unprocessable(`${expression} does not select an element of the resource being patched`);
  }
  const parent = result.parentResNode;
  if (!parent) return { node: result };
  const slot = slotOf(result, parent);
  const element = parent.path && result.propName ? childElement(parent.path, result.propName) : undefined;
  if (!slot || !element || !slotHolds(slot, result)) {
    throw unprocessable(`${expression} selects something that is not an element of the resource`);
  }
  return { node: result, slot, element };
}

/** The whole list that the expression selects, which must be every item of one repeating element. */
export function locateList(resource: JsonObject, expression: string): ListLocation | undefined {
  const found = evaluatePath(resource, expression).map((r) => locate(r, resource, expression));
  if (found.length === 0) return undefined;
  const first = found[0];
  const { owner, key } = first.slot ?? {};
  const sameList = found.every((l) => l.slot?.owner === owner && l.slot?.key === key && l.slot?.index !== undefined);
  if (!owner || !key || !first.element?.repeats || !sameList || listLength(owner, key) !== found.length) {
    throw unprocessable(`${expression} must select all the items of one repeating element`);
  }
  return { owner, key, element: first.element, count: found.length };
}

/**
 * An element that has no items yet: `X.name` where X selects one element and `name` repeats. Needed because an
 * empty list selects nothing, yet inserting at index 0 into it is allowed.
 */
export function locateEmptyList(resource: JsonObject, expression: string): ListLocation {
  const match = /^(.+)\.([a-z][A-Za-z0-9]*)$/.exec(expression.trim());
  if (!match) throw unprocessable(`No content found at ${expression} when inserting`);
  const { container, typePath } = containerOf(locateSingle(resource, match[1], 'inserting'), expression);
  const element = childElement(typePath, match[2]);
  if (!element?.repeats) throw unprocessable(`${expression} is not a repeating element`);
  if (listLength(container, element.name) > 0) throw unprocessable(`${expression} must select all the items of the list`);
  return { owner: container, key: element.name, element, count: 0 };
}

/**
 * The JSON object that children of the located element go into, and where their definitions live. For a
 * primitive that is its `_name` sibling (created on demand), which takes only Element's children: id, extension.
 */
export function containerOf(target: Located, expression: string): { container: JsonObject; typePath: TypePath } {
  const { node, slot } = target;
  if (isPlainObject(node.data) && node.path) return { container: node.data, typePath: node.path };
  if (slot && !isJsonObject(readSlot(slot).value)) return { container: extraObjectOf(slot), typePath: 'Element' };
  throw unprocessable(`${expression} does not select an element that can have children`);
}

/** The owner is the parent's JSON object, or for a primitive parent its `_name` object (id, extension). */
function slotOf(node: ResourceNode, parent: ResourceNode): Slot | undefined {
  const propName = node.propName;
  if (!propName || !parent.path) return undefined;
  for (const owner of [parent.data, parent._data]) {
    if (!isPlainObject(owner)) continue;
    const key = jsonKey(owner, parent.path, propName);
    if (key) return node.index === undefined || node.index === null ? { owner, key } : { owner, key, index: node.index };
  }
  return undefined;
}

/** A choice element is reported by its base name ("deceased"); its JSON name carries the type ("deceasedBoolean"). */
function jsonKey(owner: JsonObject, parentPath: string, propName: string): string | undefined {
  const candidates = [propName, ...(choiceSuffixesAt(parentPath, propName) ?? []).map((s) => propName + s)];
  return candidates.find((k) => k !== 'resourceType' && (Object.hasOwn(owner, k) || Object.hasOwn(owner, '_' + k)));
}

/** Guards against a node whose data is not what the slot holds (complex values are the very same object). */
function slotHolds(slot: Slot, node: ResourceNode): boolean {
  if (slot.index !== undefined && slot.index >= listLength(slot.owner, slot.key)) return false;
  const held = readSlot(slot).value;
  return !isJsonObject(held) || held === node.data;
}

function rootOf(node: ResourceNode): ResourceNode {
  let current = node;
  while (current.parentResNode) current = current.parentResNode;
  return current;
}

function isResourceNode(value: unknown): value is ResourceNode {
  return typeof value === 'object' && value !== null && 'parentResNode' in value && 'propName' in value && 'data' in value;
}

/** JSON objects only: the fhirpath package wraps numbers and dates in its own classes. */
function isPlainObject(value: unknown): value is JsonObject {
  return isJsonObject(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function ignoreTrace(): void {
  // trace() in a client's path must not write to the server log.
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function unprocessable(diagnostics: string): FhirError {
  return new FhirError('unprocessable', diagnostics);
}
