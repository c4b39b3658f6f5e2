import type { ErrorObject } from 'ajv';
import { PRIMITIVE_FORMAT_HINTS } from './primitives';
import type { Finding } from './validate-schema';

/**
 * ajv errors rewritten as FHIR-minded findings: element names instead of schema keywords, the FHIR type that
 * was expected, and the offending value (shortened). Errors about null or empty values return undefined: the
 * JSON scan reports those once, with the FHIR rule that applies, and ajv's "must be string" would only add noise.
 */
export function findingFromAjvError(err: ErrorObject): Finding | undefined {
  if (isOwnedByScan(err.data)) return undefined;
  const describe = DESCRIBERS[err.keyword] ?? describeOther;
  return describe(err);
}

function isOwnedByScan(data: unknown): boolean {
  if (data === null || data === '') return true;
  if (Array.isArray(data)) return data.length === 0;
  return typeof data === 'object' && Object.keys(data as object).length === 0;
}

type Describer = (err: ErrorObject) => Finding;

const DESCRIBERS: Record<string, Describer> = {
  additionalProperties: (err) => ({
    pointer: `${err.instancePath}/${escapePointer(String(err.params.additionalProperty))}`,
    code: 'structure',
    diagnostics: `Unknown element ${show(String(err.params.additionalProperty))}`,
  }),
  required: (err) => ({
    pointer: err.instancePath,
    code: 'required',
    diagnostics: `Missing required element '${err.params.missingProperty}'`,
  }),
  type: (err) => ({ pointer: err.instancePath, code: 'structure', diagnostics: describeType(err) }),
  pattern: (err) => ({ pointer: err.instancePath, code: 'value', diagnostics: describeFormat(err) }),
  minimum: (err) => ({ pointer: err.instancePath, code: 'value', diagnostics: describeRange(err) }),
  maximum: (err) => ({ pointer: err.instancePath, code: 'value', diagnostics: describeRange(err) }),
  maxLength: (err) => ({
    pointer: err.instancePath,
    code: 'too-long',
    diagnostics: `Value of ${String(err.data).length} characters exceeds the ${err.params.limit} allowed for a FHIR ${err.parentSchema?.fhirType ?? 'string'}`,
  }),
  enum: (err) => ({ pointer: err.instancePath, code: 'code-invalid', diagnostics: describeEnum(err) }),
  const: (err) => ({
    pointer: err.instancePath,
    code: 'value',
    diagnostics: `Value ${show(err.data)} must be ${show(err.params.allowedValue)}`,
  }),
};

function describeOther(err: ErrorObject): Finding {
  return { pointer: err.instancePath, code: 'structure', diagnostics: `Value ${show(err.data)} ${err.message ?? 'is invalid'}` };
}

function describeType(err: ErrorObject): string {
  const expected = String(err.params.type);
  const found = jsonType(err.data);
  if (expected === 'array') return `Expected an array (this element repeats), found ${found}`;
  if (found === 'an array') return `Expected a single ${typeWord(err)}, found an array (this element does not repeat)`;
  return `Expected ${typeWord(err)}, found ${found} ${show(err.data)}`;
}

function typeWord(err: ErrorObject): string {
  const fhirType = err.parentSchema?.fhirType;
  if (fhirType) return `a FHIR ${fhirType} (JSON ${err.params.type})`;
  return err.params.type === 'object' ? 'a JSON object' : `a JSON ${err.params.type}`;
}

function describeFormat(err: ErrorObject): string {
  const fhirType = err.parentSchema?.fhirType ?? 'value';
  const hint = PRIMITIVE_FORMAT_HINTS[fhirType];
  return `Invalid ${fhirType} ${show(err.data)}${hint ? ` (expected ${hint})` : ''}`;
}

function describeRange(err: ErrorObject): string {
  const fhirType = err.parentSchema?.fhirType ?? 'number';
  const min = err.parentSchema?.minimum;
  const max = err.parentSchema?.maximum;
  return `Value ${show(err.data)} is out of range for ${fhirType} (${min}..${max})`;
}

const MAX_LISTED_CODES = 12;

function describeEnum(err: ErrorObject): string {
  const allowed: unknown[] = err.params.allowedValues ?? [];
  const listed = allowed.slice(0, MAX_LISTED_CODES).join(', ');
  const more = allowed.length > MAX_LISTED_CODES ? `, ... (${allowed.length} codes)` : '';
  return `Invalid code ${show(err.data)}: must be one of ${listed}${more}`;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const MAX_SHOWN = 80;

/** A value as it appears in a message, shortened so a huge string cannot flood the OperationOutcome. */
export function show(value: unknown): string {
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? '[...]' : '{...}';
  const text = typeof value === 'string' ? `'${value}'` : String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
