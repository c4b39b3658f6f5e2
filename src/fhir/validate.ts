import type { OperationOutcomeIssue } from 'fhir/r4';
import { isResourceType } from './definitions';
import { FhirError, type IssueInit } from './errors';
import { ID_PATTERN } from './primitives';
import { scanJson } from './validate-json';
import { checkReferences, type ReferenceFrame } from './validate-references';
import { hasSchemaDefinition, runSchema, type IssueCode, type NestedResource } from './validate-schema';

/**
 * Validation of a resource against the base FHIR R4 specification: the JSON format rules, the FHIR JSON schema,
 * primitive formats, contained-resource rules and literal references. Profiles and terminology bindings other
 * than the schema's required-code enums are not checked here.
 * http://hl7.org/fhir/R4/validation.html
 */

export { ID_PATTERN };

export interface ValidateOptions {
  /** The type the caller expects (the [type] of the URL): any other resourceType is a 400. */
  expectedType?: string;
}

export function isValidId(id: string): boolean {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** All error-severity issues found in `resource` (empty array = valid). Never throws on any input (null, arrays, strings...). */
export function validateResource(resource: unknown, options: ValidateOptions = {}): OperationOutcomeIssue[] {
  try {
    return collectIssues(resource, options.expectedType);
  } catch (err) {
    // A defect in the validator must not let an unchecked resource through, nor crash the request: the resource
    // is reported as not validated, and the caller rejects it like any other invalid one.
    const reason = err instanceof Error ? err.message : String(err);
    return [issue('exception', `The resource could not be validated: ${reason}`, undefined)];
  }
}

/**
 * Throws FhirError('unprocessable', ...) carrying every issue when invalid. Input that is not a resource at all
 * (not an object, missing or unknown resourceType, resourceType other than expectedType) throws
 * FhirError('invalid', ...) instead: that is a malformed request (400), not a resource failing its rules (422).
 */
export function assertValidResource(resource: unknown, options: ValidateOptions = {}): void {
  const shape = shapeProblem(resource, options.expectedType);
  if (shape) throw new FhirError('invalid', { code: shape.code, diagnostics: shape.diagnostics });
  const [first, ...more] = validateResource(resource, options).map(toIssueInit);
  if (first) throw new FhirError('unprocessable', first, more);
}

function collectIssues(resource: unknown, expectedType: string | undefined): OperationOutcomeIssue[] {
  const shape = shapeProblem(resource, expectedType);
  if (shape) return [issue(shape.code, shape.diagnostics, undefined)];
  const root = resource as Record<string, unknown>;
  const type = root.resourceType as string;
  const scan = scanJson(root, type);
  const issues = scan.issues.map((i) => issue(i.code, i.diagnostics, i.expression));
  if (scan.tooDeep) return issues;
  checkResource(root, type, false, issues);
  return withoutDuplicates(issues);
}

interface ShapeProblem {
  code: IssueCode;
  diagnostics: string;
}

/** Why `value` is not a resource at all, or undefined: a JSON object with a known resourceType (the expected one). */
function shapeProblem(value: unknown, expectedType?: string): ShapeProblem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const found = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    return { code: 'structure', diagnostics: `A resource must be a JSON object, found ${found}` };
  }
  const type = (value as Record<string, unknown>).resourceType;
  if (type === undefined) return { code: 'required', diagnostics: 'Missing resourceType' };
  if (typeof type !== 'string' || !isResourceType(type) || !hasSchemaDefinition(type)) {
    const shown = typeof type === 'string' ? `'${type.slice(0, 80)}'` : `of type ${typeof type}`;
    return { code: 'invalid', diagnostics: `Unknown resourceType ${shown}` };
  }
  if (expectedType !== undefined && type !== expectedType) {
    return { code: 'invalid', diagnostics: `resourceType '${type}' does not match the expected type '${expectedType}'` };
  }
  return undefined;
}

/**
 * Validates one resource, then each resource nested in it by its own type. A contained resource returns its
 * reference frames to its container, because its local references ('#id', '#') resolve there; any other
 * resource checks the references of itself and its contained resources together.
 */
function checkResource(resource: Record<string, unknown>, expression: string, contained: boolean, issues: OperationOutcomeIssue[]): ReferenceFrame[] {
  const result = runSchema(resource.resourceType as string, resource);
  for (const f of result.findings) issues.push(issue(f.code, f.diagnostics, expression + pointerToPath(f.pointer)));
  const own: ReferenceFrame = { expression, references: result.references, fragments: result.fragments };
  if (contained) own.containedId = resource.id;
  const containedFrames = result.nested.flatMap((slot) => checkNested(slot, expression, issues));
  if (contained) return [own, ...containedFrames];
  for (const r of checkReferences(own, containedFrames)) {
    issues.push(issue(r.code, r.diagnostics, r.frame.expression + pointerToPath(r.pointer)));
  }
  return [];
}

function checkNested(slot: NestedResource, parentExpression: string, issues: OperationOutcomeIssue[]): ReferenceFrame[] {
  const expression = parentExpression + pointerToPath(slot.pointer);
  const shape = shapeProblem(slot.resource);
  if (shape) {
    issues.push(issue(shape.code, shape.diagnostics, expression));
    return [];
  }
  const resource = slot.resource as Record<string, unknown>;
  if (!slot.contained) return checkResource(resource, expression, false, issues);
  issues.push(...containedRuleIssues(resource, expression));
  return checkResource(resource, expression, true, issues);
}

/** The rules for a contained resource (dom-2, dom-4, dom-5, and an id to be referenced by). http://hl7.org/fhir/R4/references.html#contained */
function containedRuleIssues(resource: Record<string, unknown>, expression: string): OperationOutcomeIssue[] {
  const found: OperationOutcomeIssue[] = [];
  if (resource.id === undefined) found.push(issue('required', 'A contained resource must have an id, to be referenced as #id', expression));
  if (resource.contained !== undefined) {
    found.push(issue('invariant', 'A contained resource must not contain resources itself (dom-2)', `${expression}.contained`));
  }
  const meta = resource.meta as Record<string, unknown> | undefined;
  for (const key of ['versionId', 'lastUpdated']) {
    if (meta?.[key] !== undefined) {
      found.push(issue('invariant', `A contained resource must not have meta.${key} (dom-4)`, `${expression}.meta.${key}`));
    }
  }
  if (meta?.security !== undefined) {
    found.push(issue('invariant', 'A contained resource must not have a security label (dom-5)', `${expression}.meta.security`));
  }
  return found;
}

/** '/name/0/given' → '.name[0].given' (JSON pointer, RFC 6901, to a FHIRPath-like suffix). */
function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`;
  }
  return out;
}

function issue(code: IssueCode, diagnostics: string, expression: string | undefined): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity: 'error', code, diagnostics };
  if (expression !== undefined) out.expression = [expression];
  return out;
}

function toIssueInit(i: OperationOutcomeIssue): IssueInit {
  return { code: i.code, severity: i.severity, diagnostics: i.diagnostics ?? '', expression: i.expression };
}

function withoutDuplicates(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.code}|${i.expression?.[0] ?? ''}|${i.diagnostics}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
