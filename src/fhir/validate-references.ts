import { isResourceType } from './definitions';
import { ID_PATTERN, OID_URN_PATTERN, UUID_URN_PATTERN } from './primitives';
import type { IssueCode, FoundValue } from './validate-schema';

/**
 * Literal references (Reference.reference) and local references to contained resources.
 * http://hl7.org/fhir/R4/references.html#literal
 */

export interface ReferenceIssue {
  /** JSON pointer inside the frame's resource, or '' for the resource itself. */
  pointer: string;
  frame: ReferenceFrame;
  code: IssueCode;
  diagnostics: string;
}

/** One resource's references, as found by its schema pass. */
export interface ReferenceFrame {
  expression: string;
  references: FoundValue[];
  fragments: FoundValue[];
  /** Set for a contained resource: its id (possibly missing, which is reported elsewhere). */
  containedId?: unknown;
}

const RELATIVE = /^([A-Za-z]+)\/([^/]+)(?:\/_history\/([^/]+))?$/;
const CONDITIONAL = /^([A-Za-z]+)\?./;
const ABSOLUTE_HTTP = /^https?:\/\/[^\s/?#]+\S*$/;
const ABSOLUTE_OTHER = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;

/** Why a non-local reference string is not a well-formed literal reference, or undefined. */
export function referenceProblem(reference: string): string | undefined {
  if (reference.startsWith('urn:uuid:')) return UUID_URN_PATTERN.test(reference) ? undefined : 'not a valid urn:uuid (lower-case UUID expected)';
  if (reference.startsWith('urn:oid:')) return OID_URN_PATTERN.test(reference) ? undefined : 'not a valid urn:oid';
  if (/^https?:/.test(reference)) return ABSOLUTE_HTTP.test(reference) ? undefined : 'not a valid absolute http(s) URL';
  // A conditional reference (Type?search) is resolved by the server while processing a transaction, before the
  // resource is stored, so it is legal input even though it is not yet a literal reference.
  // http://hl7.org/fhir/R4/http.html#trules
  const conditional = CONDITIONAL.exec(reference);
  if (conditional) return typeProblem(conditional[1]);
  const relative = RELATIVE.exec(reference);
  if (relative) return relativeProblem(relative);
  // Other absolute URIs are legal too: a reference in a Bundle resolves against entry fullUrls, which may be any
  // URI (SMART Health Cards use 'resource:0'), http://hl7.org/fhir/R4/bundle.html#references
  if (ABSOLUTE_OTHER.test(reference)) return undefined;
  return "expected Type/id, Type/id/_history/vid, an absolute URI (http(s)://, urn:uuid:, urn:oid:...) or '#id'";
}

function relativeProblem(relative: RegExpExecArray): string | undefined {
  return typeProblem(relative[1]) ?? idProblem(relative[2], 'id') ?? (relative[3] === undefined ? undefined : idProblem(relative[3], 'version id'));
}

function typeProblem(type: string): string | undefined {
  return isResourceType(type) ? undefined : `'${type}' is not a resource type`;
}

function idProblem(id: string, what: string): string | undefined {
  return ID_PATTERN.test(id) ? undefined : `'${id}' is not a valid ${what}`;
}

/**
 * Every reference of a resource and of its contained resources: format of the literal ones, local references
 * that must name a contained resource (ref-1), and contained resources that nobody refers to (dom-3). Local
 * references inside a contained resource point at its siblings, or at the container itself with '#'.
 */
export function checkReferences(own: ReferenceFrame, contained: ReferenceFrame[]): ReferenceIssue[] {
  const ids = new Set(contained.map((c) => c.containedId).filter((id): id is string => typeof id === 'string'));
  const issues: ReferenceIssue[] = [];
  for (const frame of [own, ...contained]) {
    for (const ref of frame.references) {
      const problem = ref.value.startsWith('#') ? localProblem(ref.value, frame === own, ids) : literalProblem(ref.value);
      if (problem) issues.push({ pointer: ref.pointer, frame, code: problem.code, diagnostics: `Invalid reference '${ref.value}': ${problem.text}` });
    }
  }
  for (const frame of contained) {
    if (typeof frame.containedId === 'string' && !isReferenced(frame, own, contained)) {
      const diagnostics = `Contained resource '${frame.containedId}' is not referenced from the rest of the resource and does not refer to it (dom-3)`;
      issues.push({ pointer: '', frame, code: 'invariant', diagnostics });
    }
  }
  return issues;
}

function literalProblem(reference: string): { code: IssueCode; text: string } | undefined {
  const text = referenceProblem(reference);
  return text === undefined ? undefined : { code: 'value', text };
}

function localProblem(reference: string, fromContainer: boolean, ids: Set<string>): { code: IssueCode; text: string } | undefined {
  if (reference === '#') return fromContainer ? { code: 'value', text: "'#' refers to the containing resource, but this resource is not contained" } : undefined;
  if (ids.has(reference.slice(1))) return undefined;
  return { code: 'invariant', text: 'no contained resource has this id (ref-1)' };
}

function isReferenced(target: ReferenceFrame, own: ReferenceFrame, contained: ReferenceFrame[]): boolean {
  const local = `#${target.containedId}`;
  const pointsAt = (frame: ReferenceFrame, value: string): boolean =>
    frame.references.some((r) => r.value === value) || frame.fragments.some((f) => f.value === value);
  if (pointsAt(target, '#')) return true;
  return [own, ...contained].some((frame) => pointsAt(frame, local));
}
