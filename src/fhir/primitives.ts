/**
 * The parts of the FHIR R4 primitive grammar that the JSON schema's patterns cannot carry:
 * calendar validity, 32-bit integer ranges, base64 content and the xhtml narrative envelope.
 * http://hl7.org/fhir/R4/datatypes.html#primitive
 */

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/** FHIR's ids, and the `id` primitive: letters, digits, '-' and '.', at most 64. */
export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** The `uuid` and `oid` primitives as written in the spec (lower-case hex for uuids). */
export const UUID_URN_PATTERN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const OID_URN_PATTERN = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;

/**
 * The spec's regexes are XML Schema regexes, where `\s` is only space, tab, CR and LF. JavaScript's `\s` also
 * matches NBSP, U+2028 and friends, so a code like "a\u00a0b" would be rejected here but accepted by every other
 * FHIR validator. Rewrite the escapes to the XML meaning before handing a pattern to ajv.
 */
export function xmlWhitespacePattern(pattern: string): string {
  return pattern
    .replace(/\[\^\\s\]/g, '[^ \\t\\n\\r]')
    .replace(/\\s/g, '[ \\t\\n\\r]')
    .replace(/\\S/g, '[^ \\t\\n\\r]');
}

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * Why a date, dateTime or instant that already matched its pattern names a day that does not exist
 * ("Dates SHALL be valid dates"), or undefined when it is fine or carries no day.
 */
export function calendarProblem(value: string): string | undefined {
  const m = DATE_PREFIX.exec(value);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) return undefined; // the pattern reports it
  const last = daysInMonth(year, month);
  return day > last ? `${m[1]}-${m[2]} has only ${last} days` : undefined;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S/;

/**
 * Why a code system or identifier namespace is not an absolute URI, or undefined. A relative value there names
 * nothing that a receiver could resolve ("SHALL be an absolute URI", http://hl7.org/fhir/R4/terminologies.html).
 */
export function absoluteUriProblem(value: string): string | undefined {
  return ABSOLUTE_URI.test(value) ? undefined : 'must be an absolute URI (http://..., urn:oid:..., urn:uuid:...), not a local reference';
}

const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Why a base64Binary value is not base64, or undefined. Whitespace is allowed between groups (the spec's regex
 * permits it). Written as a scan rather than the spec's `(\s*([0-9a-zA-Z\+\=]){4}\s*)+`, whose nested quantifiers
 * backtrack badly on a large invalid attachment.
 */
export function base64Problem(value: string): string | undefined {
  const body = value.replace(/[ \t\n\r]+/g, '');
  if (!BASE64_BODY.test(body)) return 'contains characters outside the base64 alphabet, or padding in the middle';
  if (body.length % 4 !== 0) return `length ${body.length} (without whitespace) is not a multiple of 4`;
  return undefined;
}

const XHTML_OPENING = /^\s*<div(\s[^>]*)?>/;
const XHTML_NAMESPACE = /\sxmlns\s*=\s*("http:\/\/www\.w3\.org\/1999\/xhtml"|'http:\/\/www\.w3\.org\/1999\/xhtml')/;
/** Elements outside the narrative subset (txt-1) that would let a narrative run code or post data in a browser. */
const ACTIVE_ELEMENT = /^<\s*\/?\s*(script|iframe|object|embed|applet|form|input|button|base|link|meta|frame|frameset)\b/i;
const ACTIVE_ATTRIBUTE = /\s(on[a-z]+\s*=|(href|src)\s*=\s*["']?\s*javascript:)/i;

/**
 * Why a Narrative.div is not an acceptable xhtml fragment, or undefined. We check the envelope the spec requires
 * (a single div in the XHTML namespace) and refuse active content, the part of txt-1 that matters for safety; a
 * full XHTML parse is left to a dedicated validator.
 * http://hl7.org/fhir/R4/narrative.html#xhtml
 */
export function xhtmlProblem(value: string): string | undefined {
  const opening = XHTML_OPENING.exec(value);
  if (!opening) return 'must start with a <div> element';
  if (!XHTML_NAMESPACE.test(opening[0])) return 'the <div> must declare xmlns="http://www.w3.org/1999/xhtml"';
  if (!value.trimEnd().endsWith('</div>')) return 'must end with </div>';
  const active = activeTag(value);
  return active ? `contains active content not allowed in a narrative: ${active.slice(0, 60)}` : undefined;
}

/** The first tag carrying active content. Scans tag by tag with indexOf so the cost stays linear in the input. */
function activeTag(html: string): string | undefined {
  let start = html.indexOf('<');
  while (start >= 0) {
    const end = html.indexOf('>', start);
    if (end < 0) return undefined;
    const tag = html.slice(start, end + 1);
    if (ACTIVE_ELEMENT.test(tag) || ACTIVE_ATTRIBUTE.test(tag)) return tag;
    start = html.indexOf('<', end);
  }
  return undefined;
}

/** How each primitive looks, for messages that tell the client what was expected. */
export const PRIMITIVE_FORMAT_HINTS: Record<string, string> = {
  date: 'YYYY, YYYY-MM or YYYY-MM-DD',
  dateTime: 'YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss)+zz:zz',
  instant: 'YYYY-MM-DDThh:mm:ss(.sss)+zz:zz, with a time zone',
  time: 'hh:mm:ss(.sss)',
  id: "1 to 64 characters among A-Z, a-z, 0-9, '-' and '.'",
  oid: 'urn:oid:1.2.3...',
  uuid: 'urn:uuid: followed by a lower-case UUID',
  code: 'no leading, trailing or repeated whitespace',
  uri: 'no whitespace',
  url: 'no whitespace',
  canonical: 'no whitespace',
};
