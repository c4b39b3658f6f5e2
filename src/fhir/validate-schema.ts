import Ajv from 'ajv';
import type { DataValidationCxt, ValidateFunction } from 'ajv/dist/types';
import draft06MetaSchema from 'ajv/dist/refs/json-schema-draft-06.json';
import { fhirJsonSchema } from './definitions';
import { absoluteUriProblem, base64Problem, calendarProblem, xhtmlProblem } from './primitives';
import { prepareSchema } from './validate-schema-prepare';
import { findingFromAjvError } from './validate-issues';
import type { ChoiceRule, ElementRules } from './validate-rules';

/**
 * Structural validation of one resource against the FHIR JSON schema, with one compiled ajv validator per resource
 * type. Nested resources (contained, Bundle.entry.resource, Parameters.parameter.resource) are not followed here:
 * the schema stops at a shallow object check and hands them back in `nested`, so the caller validates each by its
 * own type and compiling Patient does not compile all 147 resource types.
 */

export type IssueCode =
  | 'structure'
  | 'required'
  | 'value'
  | 'invalid'
  | 'invariant'
  | 'code-invalid'
  | 'too-long'
  | 'exception';

/** A problem at a JSON pointer inside the resource that was checked. */
export interface Finding {
  pointer: string;
  code: IssueCode;
  diagnostics: string;
}

/** A string met during validation that later checks need (references, '#' fragments in uris). */
export interface FoundValue {
  pointer: string;
  value: string;
}

export interface NestedResource {
  pointer: string;
  resource: unknown;
  /** True for `contained`; false for resources that stand on their own (Bundle entries, Parameters values). */
  contained: boolean;
}

/**
 * What one schema pass produced. It is also the `this` of the custom keywords (ajv `passContext`), which is how
 * they report without any shared mutable state: every validation gets its own result object.
 */
export interface SchemaResult {
  findings: Finding[];
  nested: NestedResource[];
  references: FoundValue[];
  fragments: FoundValue[];
}

/** The ajv instance holding the prepared schema, built on first use. It derives only from the immutable spec files. */
let schemaContext: { ajv: Ajv; id: string } | undefined;
/** Compiled validators by resource type: compiled once per process, on first use, as the spec never changes. */
const validators = new Map<string, ValidateFunction>();

export function schemaValidator(type: string): ValidateFunction {
  let validate = validators.get(type);
  if (!validate) {
    schemaContext ??= createSchemaContext();
    validate = schemaContext.ajv.getSchema(`${schemaContext.id}#/definitions/${type}`);
    if (!validate) throw new Error(`No schema definition for ${type}`);
    validators.set(type, validate);
  }
  return validate;
}

/** Whether the R4 JSON schema defines `type` (the definitions list a few later resource types it does not have). */
export function hasSchemaDefinition(type: string): boolean {
  return Object.hasOwn(fhirJsonSchema().definitions, type);
}

/** Validate `resource` (already known to be an object of a known type) against its type's schema. */
export function runSchema(type: string, resource: unknown): SchemaResult {
  const result: SchemaResult = { findings: [], nested: [], references: [], fragments: [] };
  const validate = schemaValidator(type);
  if (!validate.call(result, resource)) {
    for (const err of validate.errors ?? []) {
      const finding = findingFromAjvError(err);
      if (finding) result.findings.push(finding);
    }
  }
  return result;
}

function createSchemaContext(): { ajv: Ajv; id: string } {
  const prepared = prepareSchema(fhirJsonSchema());
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    verbose: true, // errors carry the offending value and schema node, for readable diagnostics
    passContext: true,
    validateSchema: false, // the prepared schema is derived from the published one by code; no need to re-check it
    // Measured on Patient: compiling each $ref'd definition once as its own function, and skipping ajv's code
    // optimisation passes, halves compile time; validation stays around a microsecond per small resource.
    inlineRefs: false,
    code: { optimize: false },
  });
  ajv.addMetaSchema(draft06MetaSchema);
  addFhirKeywords(ajv);
  ajv.addSchema(prepared.schema);
  return { ajv, id: prepared.id };
}

function addFhirKeywords(ajv: Ajv): void {
  ajv.addKeyword({ keyword: 'fhirType', schemaType: 'string' }); // annotation only: names the primitive in messages
  ajv.addKeyword({ keyword: 'fhirCheck', type: 'string', schemaType: 'string', validate: checkPrimitive });
  ajv.addKeyword({ keyword: 'fhirNested', type: 'object', schemaType: 'string', validate: collectNested });
  ajv.addKeyword({ keyword: 'fhirReference', type: 'object', schemaType: 'boolean', validate: collectReference });
  ajv.addKeyword({ keyword: 'fhirFragment', type: 'string', schemaType: 'boolean', validate: collectFragment });
  ajv.addKeyword({ keyword: 'fhirExtension', type: 'object', schemaType: 'boolean', validate: checkExtension });
  ajv.addKeyword({ keyword: 'fhirRules', type: 'object', schemaType: 'object', validate: checkElementRules });
}

const PRIMITIVE_CHECKS: Record<string, (value: string) => string | undefined> = {
  calendar: calendarProblem,
  base64: base64Problem,
  xhtml: xhtmlProblem,
  absoluteUri: absoluteUriProblem,
};

function checkPrimitive(this: SchemaResult, check: string, data: string, parent?: any, cxt?: DataValidationCxt): boolean {
  if (data === '') return true; // the JSON scan reports empty strings
  const problem = PRIMITIVE_CHECKS[check]?.(data);
  if (problem) {
    const shown = data.length > 60 ? `${data.slice(0, 60)}...` : data;
    this.findings.push({ pointer: pointerOf(cxt), code: 'value', diagnostics: `Invalid ${parent?.fhirType ?? check} '${shown}': ${problem}` });
  }
  return true;
}

function collectNested(this: SchemaResult, kind: string, data: unknown, _p?: unknown, cxt?: DataValidationCxt): boolean {
  this.nested.push({ pointer: pointerOf(cxt), resource: data, contained: kind === 'contained' });
  return true;
}

function collectReference(this: SchemaResult, _s: boolean, data: Record<string, unknown>, _p?: unknown, cxt?: DataValidationCxt): boolean {
  if (typeof data.reference === 'string') this.references.push({ pointer: `${pointerOf(cxt)}/reference`, value: data.reference });
  return true;
}

/** uri/url/canonical values starting with '#' point at contained resources too (dom-3 counts them). */
function collectFragment(this: SchemaResult, _s: boolean, data: string, _p?: unknown, cxt?: DataValidationCxt): boolean {
  if (data.startsWith('#')) this.fragments.push({ pointer: pointerOf(cxt), value: data });
  return true;
}

/** ext-1: an extension carries either nested extensions or a value[x], never both and never neither. */
function checkExtension(this: SchemaResult, _s: boolean, data: Record<string, unknown>, _p?: unknown, cxt?: DataValidationCxt): boolean {
  const hasValue = Object.keys(data).some((k) => k.startsWith('value') || k.startsWith('_value'));
  const hasExtensions = Object.hasOwn(data, 'extension');
  if (hasValue === hasExtensions) {
    const what = hasValue ? 'has both nested extensions and a value[x]' : 'has neither nested extensions nor a value[x]';
    this.findings.push({ pointer: pointerOf(cxt), code: 'invariant', diagnostics: `Extension ${what} (ext-1)` });
  }
  return true;
}

function checkElementRules(this: SchemaResult, rules: ElementRules, data: Record<string, unknown>, _p?: unknown, cxt?: DataValidationCxt): boolean {
  for (const name of rules.required) {
    if (!Object.hasOwn(data, name) && !Object.hasOwn(data, `_${name}`)) {
      this.findings.push({ pointer: pointerOf(cxt), code: 'required', diagnostics: `Missing required element '${name}'` });
    }
  }
  for (const choice of rules.choices) {
    const present = presentChoices(choice, data);
    if (present > 1) {
      const names = choice.props.filter((p, i) => Object.hasOwn(data, p) || Object.hasOwn(data, choice.twins[i]));
      const diagnostics = `Only one of ${names.join(', ')} may be present (${choice.name}[x] is a single choice)`;
      this.findings.push({ pointer: pointerOf(cxt), code: 'structure', diagnostics });
    } else if (present === 0 && choice.required) {
      const diagnostics = `Missing required element '${choice.name}[x]' (one of ${choice.props.join(', ')})`;
      this.findings.push({ pointer: pointerOf(cxt), code: 'required', diagnostics });
    }
  }
  return true;
}

/** How many of a choice element's properties (or their `_` twins) are present. */
function presentChoices(choice: ChoiceRule, data: Record<string, unknown>): number {
  let present = 0;
  for (let i = 0; i < choice.props.length; i++) {
    if (Object.hasOwn(data, choice.props[i]) || Object.hasOwn(data, choice.twins[i])) present++;
  }
  return present;
}

function pointerOf(cxt: DataValidationCxt | undefined): string {
  return cxt?.instancePath ?? '';
}
