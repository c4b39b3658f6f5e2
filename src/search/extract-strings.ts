import { exactString, foldString } from './normalize';
import { asRecord, listProp, stamped, type Target } from './extract-json';

/**
 * string parameters (https://hl7.org/fhir/R4/search.html#string): `value` folded for the default starts-with and
 * `:contains` matches, `exact` as written for `:exact`. A HumanName or Address is searched on each of its parts, so
 * each part is an entry of its own ("given" never runs into "family").
 */

/** https://hl7.org/fhir/R4/datatypes.html#HumanName */
const HUMAN_NAME_PARTS = ['family', 'given', 'prefix', 'suffix', 'text'];
/** https://hl7.org/fhir/R4/datatypes.html#Address */
const ADDRESS_PARTS = ['line', 'city', 'district', 'state', 'postalCode', 'country', 'text'];

export function addStrings(value: unknown, type: string, to: Target): void {
  if (typeof value === 'string') addString(value, to);
  else if (type === 'HumanName') addParts(value, HUMAN_NAME_PARTS, to);
  else if (type === 'Address') addParts(value, ADDRESS_PARTS, to);
}

function addParts(value: unknown, parts: string[], to: Target): void {
  const record = asRecord(value);
  if (!record) return;
  for (const part of parts) {
    for (const item of listProp(record, part)) if (typeof item === 'string') addString(item, to);
  }
}

function addString(text: string, to: Target): void {
  const exact = exactString(text);
  if (exact.trim() === '') return;
  to.entries.strings.push(stamped(to, { param: to.stamp.param, value: foldString(text), exact }));
}
