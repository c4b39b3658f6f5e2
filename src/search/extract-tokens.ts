import type { TokenEntry } from './index-model';
import { foldString } from './normalize';
import { asRecord, listProp, stamped, stringProp, type Target } from './extract-json';

/**
 * token parameters (https://hl7.org/fhir/R4/search.html#token). `system` is '' when the value has none, so
 * `param=|code` can ask for "no system". `text` holds the folded words `:text` searches: Coding.display,
 * CodeableConcept.text, Identifier.type.text.
 *
 * A CodeableConcept gives one entry per coding (text = that coding's display) and, when it has a text, one more
 * entry with that text and an empty system and code (as does a Coding with only a display). A query code is never
 * empty, so such a text-only entry can only be found by `:text` (and counts for `:missing`).
 */
export function addTokens(value: unknown, type: string, to: Target): void {
  if (typeof value === 'boolean') push(to, '', String(value));
  else if (typeof value === 'string') push(to, '', value);
  else if (type === 'CodeableConcept') addCodeableConcept(value, to);
  else if (type === 'Coding') addCoding(value, to);
  else if (type === 'Identifier') addIdentifier(value, to);
  else if (type === 'ContactPoint') addContactPoint(value, to);
}

function addCodeableConcept(value: unknown, to: Target): void {
  const concept = asRecord(value);
  if (!concept) return;
  const before = to.entries.tokens.length;
  for (const coding of listProp(concept, 'coding')) addCoding(coding, to);
  const text = stringProp(concept, 'text');
  if (!text) return;
  // Usually the text repeats a coding's display: that entry already answers `:text` for it, so none is added.
  const folded = foldString(text);
  if (to.entries.tokens.slice(before).some((t) => t.text === folded)) return;
  push(to, '', '', text);
}

function addCoding(value: unknown, to: Target): void {
  const coding = asRecord(value);
  if (!coding) return;
  const system = stringProp(coding, 'system') ?? '';
  const code = stringProp(coding, 'code') ?? '';
  const display = stringProp(coding, 'display');
  if (system !== '' || code !== '' || display) push(to, system, code, display);
}

/**
 * Identifier.value is the code. Each coding of Identifier.type gives its own entry, so `:of-type`
 * (https://hl7.org/fhir/R4/search.html#token, `type-system|type-code|value`) matches one coding at a time.
 */
function addIdentifier(value: unknown, to: Target): void {
  const identifier = asRecord(value);
  if (!identifier) return;
  const system = stringProp(identifier, 'system') ?? '';
  const code = stringProp(identifier, 'value') ?? '';
  if (system === '' && code === '') return;
  const type = asRecord(identifier.type);
  const text = type ? stringProp(type, 'text') : undefined;
  const typeCodings = type ? listProp(type, 'coding') : [];
  if (typeCodings.length === 0) push(to, system, code, text);
  for (const item of typeCodings) {
    const entry = push(to, system, code, text);
    const coding = asRecord(item);
    entry.typeSystem = (coding && stringProp(coding, 'system')) ?? '';
    entry.typeCode = (coding && stringProp(coding, 'code')) ?? '';
  }
}

/** A ContactPoint is matched on its value alone (the phone number, the address), so its system stays ''. */
function addContactPoint(value: unknown, to: Target): void {
  const contact = asRecord(value);
  const code = contact && stringProp(contact, 'value');
  if (code) push(to, '', code);
}

function push(to: Target, system: string, code: string, text?: string): TokenEntry {
  const entry: TokenEntry = { param: to.stamp.param, system, code };
  if (text !== undefined && text !== '') entry.text = foldString(text);
  to.entries.tokens.push(stamped(to, entry));
  return entry;
}
