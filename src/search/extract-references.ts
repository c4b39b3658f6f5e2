import type { ReferenceEntry } from './index-model';
import { isResourceType } from '../fhir/definitions';
import { exactString } from './normalize';
import { asRecord, stamped, stringProp, type Target } from './extract-json';

/**
 * reference and uri parameters (https://hl7.org/fhir/R4/search.html#reference, #uri).
 *
 * A Reference.reference that is a literal `Type/id[/_history/v]` gives targetType and targetId; when absolute
 * (`http(s)://base/Type/id`) it gives the url too, and type and id only if the base is this service's
 * (Target.isLocalBase). Any other absolute reference (urn:uuid:…, urn:oid:…) and every canonical or uri value
 * gives only `url`; a canonical's `|version` goes to `version`. A `#id` reference points into `contained`, which
 * is not indexed on its own, so it gives nothing. Reference.identifier gives identifierSystem/identifierValue for
 * `:identifier`.
 */

export interface LiteralReference {
  /** The service base of an absolute reference, without the trailing slash. */
  base?: string;
  type: string;
  id: string;
  version?: string;
}

/** https://hl7.org/fhir/R4/references.html#literal: ids are 1-64 of [A-Za-z0-9\-\.]. */
const LITERAL = /^(?:(https?:\/\/[^?#]+?)\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.\-]*:/;

/** The parts of a literal reference, or undefined when the text is not `[base/]Type/id[/_history/v]`. */
export function literalReference(text: string): LiteralReference | undefined {
  const m = LITERAL.exec(text);
  if (!m || !isResourceType(m[2])) return undefined;
  const literal: LiteralReference = { type: m[2], id: m[3] };
  if (m[1] !== undefined) literal.base = m[1];
  if (m[4] !== undefined) literal.version = m[4];
  return literal;
}

export function addReferences(value: unknown, type: string, to: Target): void {
  const entry =
    typeof value === 'string' ? canonicalEntry(value, to.stamp.param) : type === 'Reference' ? referenceEntry(value, to) : undefined;
  if (entry) to.entries.references.push(stamped(to, entry));
}

export function addUris(value: unknown, _type: string, to: Target): void {
  if (typeof value === 'string' && value !== '') to.entries.uris.push(stamped(to, { param: to.stamp.param, uri: exactString(value) }));
}

/** https://hl7.org/fhir/R4/references.html#canonical: `url|version`. */
function canonicalEntry(text: string, param: string): ReferenceEntry | undefined {
  if (text === '') return undefined;
  const bar = text.indexOf('|');
  if (bar < 0) return { param, url: text };
  const entry: ReferenceEntry = { param, url: text.slice(0, bar) };
  if (bar + 1 < text.length) entry.version = text.slice(bar + 1);
  return entry;
}

function referenceEntry(value: unknown, to: Target): ReferenceEntry | undefined {
  const reference = asRecord(value);
  if (!reference) return undefined;
  const entry: ReferenceEntry = { param: to.stamp.param };
  const text = stringProp(reference, 'reference');
  const found = text !== undefined && addLiteral(entry, text, to);
  const identifier = asRecord(reference.identifier);
  const identifierValue = identifier && stringProp(identifier, 'value');
  if (identifier && identifierValue) {
    entry.identifierSystem = stringProp(identifier, 'system') ?? '';
    entry.identifierValue = identifierValue;
  }
  return found || identifierValue ? entry : undefined;
}

/** Sets what a Reference.reference text says; false when it says nothing indexable (`#contained`, a display). */
function addLiteral(entry: ReferenceEntry, text: string, to: Target): boolean {
  const literal = literalReference(text);
  if (literal && (literal.base === undefined || to.isLocalBase(literal.base))) {
    entry.targetType = literal.type;
    entry.targetId = literal.id;
    if (literal.version !== undefined) entry.version = literal.version;
    if (literal.base !== undefined) entry.url = text;
    return true;
  }
  if (!ABSOLUTE.test(text)) return false;
  entry.url = text;
  return true;
}
