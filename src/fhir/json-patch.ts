import { FhirError, invalid } from './errors';

/**
 * JSON Patch (RFC 6902, https://www.rfc-editor.org/rfc/rfc6902) over JSON Pointers (RFC 6901,
 * https://www.rfc-editor.org/rfc/rfc6901), as FHIR allows for the patch interaction
 * (http://hl7.org/fhir/R4/http.html#patch).
 *
 * The whole patch document is checked before anything is applied, so a malformed document is always a 400
 * ('invalid') whatever its first operations would have done. Operations then apply in order to a private copy;
 * the first one that cannot be applied aborts the patch with a 422 ('unprocessable'), so callers see all of the
 * patch or none of it (RFC 6902 section 5).
 */

type OpName = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

interface PatchOperation {
  op: OpName;
  /** 0-based position in the patch document, for error messages. */
  position: number;
  path: string[];
  from?: string[];
  value?: unknown;
}

type JsonContainer = Record<string, unknown> | unknown[];

const OPS: readonly OpName[] = ['add', 'remove', 'replace', 'move', 'copy', 'test'];
const NEEDS_VALUE: ReadonlySet<OpName> = new Set<OpName>(['add', 'replace', 'test']);
const NEEDS_FROM: ReadonlySet<OpName> = new Set<OpName>(['move', 'copy']);

/** Segments that would reach Object.prototype (or a constructor) when used as keys: never followed, never set. */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** RFC 6901 section 4: an array index is "0" or digits without a leading zero. */
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** Applies `patch` to a copy of `document` and returns the copy; `document` and `patch` are never modified. */
export function applyJsonPatch<T>(document: T, patch: unknown): T {
  const operations = parsePatch(patch);
  let result: unknown = structuredClone(document);
  for (const operation of operations) result = applyOperation(result, operation);
  return result as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the patch document: everything here throws 'invalid'.

function parsePatch(patch: unknown): PatchOperation[] {
  if (!Array.isArray(patch)) throw invalid('A JSON Patch document must be a JSON array of operations');
  return patch.map((entry, position) => parseOperation(entry, position));
}

function parseOperation(entry: unknown, position: number): PatchOperation {
  if (!isObject(entry)) throw invalid(`Patch operation ${position} is not a JSON object`);
  const op = entry.op;
  if (typeof op !== 'string' || !OPS.includes(op as OpName)) {
    throw invalid(`Patch operation ${position} has an unknown or missing "op" (${JSON.stringify(op)})`);
  }
  const name = op as OpName;
  const operation: PatchOperation = { op: name, position, path: parsePointer(entry.path, 'path', position) };
  if (NEEDS_FROM.has(name)) operation.from = parsePointer(entry.from, 'from', position);
  if (NEEDS_VALUE.has(name)) {
    // RFC 6902 section 4.1: the member must be present; null is a legitimate value.
    if (!Object.hasOwn(entry, 'value')) throw invalid(`Patch operation ${position} (${name}) has no "value"`);
    operation.value = entry.value;
  }
  if (name === 'move' && isProperPrefix(operation.from!, operation.path)) {
    // RFC 6902 section 4.4: a location cannot be moved into one of its own children.
    throw invalid(`Patch operation ${position} (move) would move a value into one of its own children`);
  }
  return operation;
}

/** Splits an RFC 6901 pointer into unescaped reference tokens; '' is the whole document. */
function parsePointer(pointer: unknown, member: string, position: number): string[] {
  if (typeof pointer !== 'string') throw invalid(`Patch operation ${position} has no "${member}" string`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/') || /~[^01]|~$/.test(pointer)) {
    throw invalid(`Patch operation ${position} has a malformed JSON Pointer in "${member}": ${pointer}`);
  }
  const tokens = pointer.slice(1).split('/').map(unescapeToken);
  const forbidden = tokens.find((t) => FORBIDDEN_SEGMENTS.has(t));
  if (forbidden !== undefined) {
    throw invalid(`Patch operation ${position} uses the forbidden pointer segment "${forbidden}" in "${member}"`);
  }
  return tokens;
}

/** RFC 6901 section 4: '~1' before '~0', so that '~01' becomes '~1' and not '/'. */
function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isProperPrefix(prefix: string[], path: string[]): boolean {
  return prefix.length < path.length && prefix.every((token, i) => token === path[i]);
}

// ---------------------------------------------------------------------------------------------------------------
// Applying operations: everything here throws 'unprocessable'. Each returns the (possibly new) document root,
// because an operation on the empty pointer replaces the root itself.

function applyOperation(document: unknown, operation: PatchOperation): unknown {
  switch (operation.op) {
    case 'add':
      return addValue(document, operation.path, structuredClone(operation.value), operation);
    case 'remove':
      return removeValue(document, operation.path, operation);
    case 'replace':
      return replaceValue(document, operation.path, structuredClone(operation.value), operation);
    case 'move':
      return moveValue(document, operation);
    case 'copy':
      return addValue(document, operation.path, structuredClone(getValue(document, operation.from!, operation)), operation);
    case 'test':
      return testValue(document, operation);
  }
}

/** RFC 6902 section 4.1: the parent must exist; arrays take an index up to their length, or '-' to append. */
function addValue(document: unknown, path: string[], value: unknown, operation: PatchOperation): unknown {
  if (path.length === 0) return value;
  const { container, token } = parentOf(document, path, operation);
  if (Array.isArray(container)) {
    const index = token === '-' ? container.length : arrayIndex(container, token, container.length, operation);
    container.splice(index, 0, value);
  } else {
    container[token] = value;
  }
  return document;
}

/** RFC 6902 section 4.2: the target must exist; array elements after it shift left. */
function removeValue(document: unknown, path: string[], operation: PatchOperation): unknown {
  if (path.length === 0) throw unprocessable(operation, 'the whole document cannot be removed');
  const { container, token } = parentOf(document, path, operation);
  if (Array.isArray(container)) {
    container.splice(arrayIndex(container, token, container.length - 1, operation), 1);
  } else {
    requireMember(container, token, path, operation);
    delete container[token];
  }
  return document;
}

/** RFC 6902 section 4.3: like remove then add, but the target must exist. */
function replaceValue(document: unknown, path: string[], value: unknown, operation: PatchOperation): unknown {
  if (path.length === 0) return value;
  const { container, token } = parentOf(document, path, operation);
  if (Array.isArray(container)) {
    container[arrayIndex(container, token, container.length - 1, operation)] = value;
  } else {
    requireMember(container, token, path, operation);
    container[token] = value;
  }
  return document;
}

/** RFC 6902 section 4.4: remove from "from", then add at "path" (as seen after the removal). */
function moveValue(document: unknown, operation: PatchOperation): unknown {
  const from = operation.from!;
  const value = getValue(document, from, operation);
  const removed = removeValue(document, from, operation);
  return addValue(removed, operation.path, value, operation);
}

/** RFC 6902 section 4.6: JSON equality, so 10 and "10" differ and object member order does not matter. */
function testValue(document: unknown, operation: PatchOperation): unknown {
  const actual = getValue(document, operation.path, operation);
  if (!jsonEqual(actual, operation.value)) {
    throw unprocessable(operation, `the value at ${pointerText(operation.path)} is not the expected value`);
  }
  return document;
}

function getValue(document: unknown, path: string[], operation: PatchOperation): unknown {
  let current = document;
  for (let i = 0; i < path.length; i++) current = childOf(current, path[i], path.slice(0, i + 1), operation);
  return current;
}

/** The container that holds the last token of `path`; every step before it must exist. */
function parentOf(document: unknown, path: string[], operation: PatchOperation): { container: JsonContainer; token: string } {
  const container = getValue(document, path.slice(0, -1), operation);
  if (!Array.isArray(container) && !isObject(container)) {
    throw unprocessable(operation, `${pointerText(path.slice(0, -1)) || 'the document'} is not an object or array`);
  }
  return { container, token: path[path.length - 1] };
}

function childOf(current: unknown, token: string, pathSoFar: string[], operation: PatchOperation): unknown {
  if (Array.isArray(current)) return current[arrayIndex(current, token, current.length - 1, operation)];
  if (isObject(current)) {
    requireMember(current, token, pathSoFar, operation);
    return current[token];
  }
  throw unprocessable(operation, `path ${pointerText(pathSoFar)} does not exist`);
}

/** Parses an array index token and checks it lies in 0..max. */
function arrayIndex(array: unknown[], token: string, max: number, operation: PatchOperation): number {
  if (!ARRAY_INDEX.test(token)) throw unprocessable(operation, `"${token}" is not a valid index for an array`);
  const index = Number(token);
  if (index > max) {
    throw unprocessable(operation, `index ${index} is out of range for an array of length ${array.length}`);
  }
  return index;
}

function requireMember(object: Record<string, unknown>, token: string, path: string[], operation: PatchOperation): void {
  if (!Object.hasOwn(object, token)) throw unprocessable(operation, `path ${pointerText(path)} does not exist`);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointerText(path: string[]): string {
  return path.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function unprocessable(operation: PatchOperation, reason: string): FhirError {
  return new FhirError('unprocessable', `Patch operation ${operation.position} (${operation.op}) failed: ${reason}`);
}
