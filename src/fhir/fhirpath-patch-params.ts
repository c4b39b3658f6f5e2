import { invalid } from './errors';
import { isPrimitiveType, typeNameForSuffix } from './fhirpath-patch-model';

/**
 * Reads a FHIRPath Patch Parameters resource (http://hl7.org/fhir/R4/fhirpatch.html) into typed operations.
 * Everything wrong with the Parameters themselves (shape, part names, part types) is a 400 ('invalid') and is
 * found here, before any operation touches the resource; questions that need the resource (does the path
 * match, does the element exist) are answered later and are 422s.
 */

export type OperationType = 'add' | 'insert' | 'delete' | 'replace' | 'move';

interface OperationBase {
  /** Index of the operation in Parameters.parameter, for error locations. */
  position: number;
  path: string;
}

export type PatchOperation = OperationBase &
  (
    | { type: 'add'; name: string; value: PatchValue }
    | { type: 'insert'; index: number; value: PatchValue }
    | { type: 'delete' }
    | { type: 'replace'; value: PatchValue }
    | { type: 'move'; source: number; destination: number }
  );

/**
 * A value to put into the resource: a datatype given as value[x] (with its `_value[x]` sibling for primitives),
 * a resource, or an anonymous (backbone) element built from named parts, which the spec allows for types that
 * Parameters cannot carry directly.
 */
export type PatchValue =
  | { kind: 'typed'; suffix: string; primitive: boolean; value: unknown; extra?: Record<string, unknown> }
  | { kind: 'resource'; resource: Record<string, unknown> }
  | { kind: 'parts'; parts: NamedValue[] };

export interface NamedValue {
  name: string;
  value: PatchValue;
}

type Json = Record<string, unknown>;

const PART_NAMES = ['type', 'path', 'name', 'value', 'index', 'source', 'destination'] as const;
type PartName = (typeof PART_NAMES)[number];

/** Which parts each operation type takes (all of them required), per the table in the spec. */
const PARTS_BY_TYPE: Record<OperationType, readonly PartName[]> = {
  add: ['type', 'path', 'name', 'value'],
  insert: ['type', 'path', 'index', 'value'],
  delete: ['type', 'path'],
  replace: ['type', 'path', 'value'],
  move: ['type', 'path', 'source', 'destination'],
};

export function parsePatchParameters(parameters: unknown): PatchOperation[] {
  if (!isJsonObject(parameters) || parameters.resourceType !== 'Parameters') {
    throw invalid('A FHIRPath Patch must be a Parameters resource');
  }
  const list = parameters.parameter ?? [];
  if (!Array.isArray(list)) throw invalid('Parameters.parameter must be an array', ['Parameters.parameter']);
  return list.map((parameter, position) => parseOperation(parameter, position));
}

function parseOperation(parameter: unknown, position: number): PatchOperation {
  const where = `Parameters.parameter[${position}]`;
  if (!isJsonObject(parameter) || parameter.name !== 'operation') {
    throw invalid(`${where} must be a parameter named "operation"`, [where]);
  }
  const parts = partsByName(parameter.part, where);
  const type = operationType(parts.type, where);
  const expected = PARTS_BY_TYPE[type];
  for (const name of PART_NAMES) {
    if (expected.includes(name) && !parts[name]) throw invalid(`${where}: a ${type} operation needs a "${name}" part`, [where]);
    if (!expected.includes(name) && parts[name]) throw invalid(`${where}: a ${type} operation takes no "${name}" part`, [where]);
  }
  return buildOperation(type, parts as Record<PartName, Json>, position, where);
}

function buildOperation(type: OperationType, parts: Record<PartName, Json>, position: number, where: string): PatchOperation {
  const path = stringPart(parts.path, 'path', where);
  switch (type) {
    case 'add':
      return { type, position, path, name: stringPart(parts.name, 'name', where), value: parseValue(parts.value, `${where}.value`) };
    case 'insert':
      return { type, position, path, index: integerPart(parts.index, 'index', where), value: parseValue(parts.value, `${where}.value`) };
    case 'delete':
      return { type, position, path };
    case 'replace':
      return { type, position, path, value: parseValue(parts.value, `${where}.value`) };
    case 'move':
      return { type, position, path, source: integerPart(parts.source, 'source', where), destination: integerPart(parts.destination, 'destination', where) };
  }
}

/** The operation's parts keyed by name; unknown or repeated part names are errors. */
function partsByName(parts: unknown, where: string): Partial<Record<PartName, Json>> {
  if (!Array.isArray(parts) || parts.length === 0) throw invalid(`${where} has no parts`, [where]);
  const byName: Partial<Record<PartName, Json>> = {};
  for (const part of parts) {
    const name = isJsonObject(part) ? part.name : undefined;
    if (typeof name !== 'string' || !(PART_NAMES as readonly string[]).includes(name)) {
      throw invalid(`${where} has an unknown part ${JSON.stringify(name)}`, [where]);
    }
    if (byName[name as PartName]) throw invalid(`${where} has more than one "${name}" part`, [where]);
    byName[name as PartName] = part as Json;
  }
  return byName;
}

function operationType(part: Json | undefined, where: string): OperationType {
  const code = part?.valueCode;
  if (typeof code !== 'string' || !Object.hasOwn(PARTS_BY_TYPE, code)) {
    throw invalid(`${where}: "type" must be a valueCode, one of add | insert | delete | replace | move`, [where]);
  }
  return code as OperationType;
}

function stringPart(part: Json, name: string, where: string): string {
  const value = part.valueString;
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`${where}: "${name}" must be a non-empty valueString`, [where]);
  return value;
}

function integerPart(part: Json, name: string, where: string): number {
  const value = part.valueInteger;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalid(`${where}: "${name}" must be a valueInteger of 0 or more`, [where]);
  }
  return value;
}

/** A part that carries a value in exactly one way: value[x], resource, or nested parts (anonymous type). */
export function parseValue(carrier: Json, where: string): PatchValue {
  const valueKeys = Object.keys(carrier).filter((k) => /^_?value[A-Z]/.test(k));
  const forms = [valueKeys.length > 0, carrier.resource !== undefined, carrier.part !== undefined].filter(Boolean);
  if (forms.length !== 1) throw invalid(`${where} must hold exactly one of value[x], resource or part`, [where]);
  if (carrier.resource !== undefined) return resourceValue(carrier.resource, where);
  if (carrier.part !== undefined) return partsValue(carrier.part, where);
  return typedValue(carrier, valueKeys, where);
}

function resourceValue(resource: unknown, where: string): PatchValue {
  if (!isJsonObject(resource) || typeof resource.resourceType !== 'string') {
    throw invalid(`${where}: resource must be a FHIR resource`, [where]);
  }
  return { kind: 'resource', resource };
}

function partsValue(parts: unknown, where: string): PatchValue {
  if (!Array.isArray(parts) || parts.length === 0) throw invalid(`${where}: part must be a non-empty array`, [where]);
  return {
    kind: 'parts',
    parts: parts.map((part, i) => {
      const at = `${where}.part[${i}]`;
      if (!isJsonObject(part) || typeof part.name !== 'string') throw invalid(`${at} has no name`, [at]);
      return { name: part.name, value: parseValue(part, at) };
    }),
  };
}

/** value[x] (and `_value[x]` for a primitive's id/extensions); the suffix must name an R4 datatype. */
function typedValue(carrier: Json, valueKeys: string[], where: string): PatchValue {
  const keys = new Set(valueKeys.map((k) => k.replace(/^_/, '')));
  if (keys.size !== 1) throw invalid(`${where} has more than one value[x]`, [where]);
  const key = [...keys][0];
  const suffix = key.slice('value'.length);
  const type = typeNameForSuffix(suffix);
  if (!type) throw invalid(`${where}: ${key} is not a FHIR R4 datatype`, [where]);
  const primitive = isPrimitiveType(type);
  const value = carrier[key];
  const extra = carrier['_' + key];
  checkTypedShape(primitive, value, extra, `${where}.${key}`);
  return { kind: 'typed', suffix, primitive, value, extra: extra as Record<string, unknown> | undefined };
}

function checkTypedShape(primitive: boolean, value: unknown, extra: unknown, where: string): void {
  const primitiveOk = ['string', 'number', 'boolean'].includes(typeof value) || (value === undefined && extra !== undefined);
  if (primitive && !primitiveOk) throw invalid(`${where} must be a JSON string, number or boolean`, [where]);
  if (!primitive && !isJsonObject(value)) throw invalid(`${where} must be a JSON object`, [where]);
  if (extra !== undefined && (!primitive || !isJsonObject(extra))) {
    throw invalid(`${where}: the _ sibling is only allowed on primitives and must be an object`, [where]);
  }
}

export function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
