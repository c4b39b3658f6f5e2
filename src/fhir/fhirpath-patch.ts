import type { Parameters, Resource } from 'fhir/r4';
import type { ResourceNode } from 'fhirpath';
import { FhirError } from './errors';
import { insertIntoList, isEmptyContent, isEmptyObject, type JsonObject, readSlot, removeSlot, writeSlot } from './fhirpath-patch-json';
import { childElement } from './fhirpath-patch-model';
import { containerOf, evaluatePath, type ListLocation, locate, locateEmptyList, locateList, locateSingle } from './fhirpath-patch-nodes';
import { parsePatchParameters, type PatchOperation } from './fhirpath-patch-params';
import { contentFor, keyFor, putElement } from './fhirpath-patch-values';

/**
 * FHIRPath Patch, http://hl7.org/fhir/R4/fhirpatch.html: a Parameters resource listing add, insert, delete,
 * replace and move operations whose paths are FHIRPath expressions.
 *
 * Operations apply in order to a copy of the resource; the first failure aborts the whole patch, so the caller
 * gets all of it or none. A malformed Parameters resource is a 400 ('invalid'); a patch that does not fit the
 * resource (a path that selects nothing or too much, an index out of range, an element R4 does not define) is a
 * 422 ('unprocessable'). The result is not validated here: the caller validates it as it would any update.
 */
export function applyFhirPathPatch<T extends Resource>(resource: T, patch: Parameters): T {
  const operations = parsePatchParameters(patch);
  const result = structuredClone(resource) as unknown as JsonObject;
  for (const operation of operations) applyOperation(result, operation);
  return result as unknown as T;
}

function applyOperation(resource: JsonObject, operation: PatchOperation): void {
  try {
    OPERATIONS[operation.type](resource, operation as never);
  } catch (err) {
    throw err instanceof FhirError ? locateError(err, operation) : err;
  }
}

type Apply<K extends PatchOperation['type']> = (resource: JsonObject, operation: Extract<PatchOperation, { type: K }>) => void;

const OPERATIONS: { [K in PatchOperation['type']]: Apply<K> } = {
  add: addOperation,
  insert: insertOperation,
  delete: deleteOperation,
  replace: replaceOperation,
  move: moveOperation,
};

/** "The content will be appended to the element identified in the path, using the name specified." */
function addOperation(resource: JsonObject, operation: Extract<PatchOperation, { type: 'add' }>): void {
  const target = locateSingle(resource, operation.path, 'adding');
  const { container, typePath } = containerOf(target, operation.path);
  const element = childElement(typePath, operation.name);
  if (!element) throw new FhirError('unprocessable', `${typePath} has no element "${operation.name}"`);
  const where = `${operation.path}.${operation.name}`;
  putElement(container, element, contentFor(element, operation.value, where), where);
}

/** "Inserted into the nominated list at the index specified (0 based) ... equal or less than the number of elements." */
function insertOperation(resource: JsonObject, operation: Extract<PatchOperation, { type: 'insert' }>): void {
  const list = locateList(resource, operation.path) ?? locateEmptyList(resource, operation.path);
  checkIndex(operation.index, list.count, 'index', operation.path);
  const content = contentFor(list.element, operation.value, operation.path);
  insertIntoList(list.owner, list.key, operation.index, content);
}

/** "Only a single element can be deleted"; a path that selects nothing leaves the resource as it is. */
function deleteOperation(resource: JsonObject, operation: Extract<PatchOperation, { type: 'delete' }>): void {
  const found = evaluatePath(resource, operation.path);
  if (found.length === 0) return;
  if (found.length > 1) {
    throw new FhirError('unprocessable', `${operation.path} matches ${found.length} elements; delete removes exactly one`);
  }
  const target = locate(found[0], resource, operation.path);
  if (!target.slot) throw new FhirError('unprocessable', 'The resource itself cannot be deleted by a patch');
  removeSlot(target.slot);
  removeIfEmpty(target.node.parentResNode, resource, operation.path);
}

/** Replaces the one selected element; a choice element may change type (deceasedBoolean -> deceasedDateTime). */
function replaceOperation(resource: JsonObject, operation: Extract<PatchOperation, { type: 'replace' }>): void {
  const { slot, element } = locateSingle(resource, operation.path, 'replacing');
  if (!slot || !element) throw new FhirError('unprocessable', 'The resource itself cannot be replaced by a patch');
  const content = contentFor(element, operation.value, operation.path);
  writeSlot(slot, content, keyFor(element, content.suffix, operation.path));
}

/** "Move an element within a single list": take it out at source, then insert it at destination. */
function moveOperation(resource: JsonObject, operation: Extract<PatchOperation, { type: 'move' }>): void {
  const list: ListLocation | undefined = locateList(resource, operation.path);
  if (!list) throw new FhirError('unprocessable', `No content found at ${operation.path} when moving`);
  checkIndex(operation.source, list.count - 1, 'source', operation.path);
  checkIndex(operation.destination, list.count - 1, 'destination', operation.path);
  const from = { owner: list.owner, key: list.key, index: operation.source };
  const content = readSlot(from);
  removeSlot(from);
  insertIntoList(list.owner, list.key, operation.destination, content);
}

/**
 * FHIR JSON has no empty objects: when a delete leaves its parent element with nothing in it, the parent goes
 * too, and so on upwards (deleting Patient.contact[0].name.text from a name holding only text removes the name).
 * A primitive whose `_name` sibling is left empty keeps its value and loses the sibling.
 */
function removeIfEmpty(node: ResourceNode | null, resource: JsonObject, expression: string): void {
  if (!node?.parentResNode) return;
  const { slot } = locate(node, resource, expression);
  if (!slot) return;
  const content = readSlot(slot);
  if (content.extra && isEmptyObject(content.extra) && !isEmptyContent({ value: content.value })) {
    writeSlot(slot, { value: content.value });
    return;
  }
  if (!isEmptyContent(content)) return;
  removeSlot(slot);
  removeIfEmpty(node.parentResNode, resource, expression);
}

function checkIndex(index: number, max: number, part: string, expression: string): void {
  if (index > max) {
    throw new FhirError('unprocessable', `${part} ${index} is out of range for the list at ${expression} (at most ${Math.max(max, 0)})`);
  }
}

/** Names the failing operation in the message and points the issue at its parameter. */
function locateError(err: FhirError, operation: PatchOperation): FhirError {
  const where = `Parameters.parameter[${operation.position}]`;
  const [first, ...rest] = err.issues;
  if (first.expression?.length) return err;
  const diagnostics = `FHIRPath Patch operation ${operation.position} (${operation.type} at ${operation.path}): ${err.message}`;
  return new FhirError(err.category, { code: first.code, diagnostics, expression: [where] }, rest.map(toInit));
}

function toInit(issue: FhirError['issues'][number]): { code: typeof issue.code; diagnostics: string; expression?: string[] } {
  return { code: issue.code, diagnostics: issue.diagnostics ?? '', expression: issue.expression };
}
