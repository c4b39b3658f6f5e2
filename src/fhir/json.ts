import { randomBytes } from 'node:crypto';
import { FhirError } from './errors';

/**
 * FHIR JSON text ⇄ objects without losing decimal precision. FHIR says a decimal keeps the precision it was written
 * with (`105.00` is not `105`: https://hl7.org/fhir/R4/datatypes.html#decimal), but JSON.parse turns numbers into
 * doubles. Number literals that a double would change are remembered on their parent object under the DECIMALS
 * symbol and written back as written; stored resources carry their stored text under RAW_JSON so that they are
 * sent as stored. Symbols are invisible to JSON.stringify, ajv, FHIRPath and Object.keys, so nothing else notices.
 */
const DECIMALS = Symbol('fhir.decimals');
/** On every object or array that has a remembered decimal somewhere inside, so writers can skip the slow path. */
const HAS_DECIMALS = Symbol('fhir.hasDecimals');
const RAW_JSON = Symbol('fhir.rawJson');
const MAX_DEPTH = 100;

type Holder = Record<string | symbol, unknown>;

/** Parses JSON text; rejects nesting deeper than 100 levels, so no later walk can overflow. */
export function parseFhirJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    // Most texts hold no literal a double would change: JSON.parse's value is then the answer.
    if (!walkParsed(value) && !mayHoldLossyNumber(text)) return value;
    return scan(text) ? new PreservingParser(text).parse() : value;
  } catch (err) {
    if (err instanceof FhirError) throw err;
    throw new FhirError('invalid', { diagnostics: `The body is not valid JSON: ${(err as Error).message}`, code: 'structure' });
  }
}

/** Serializes like JSON.stringify, writing remembered decimals and stored resources' text as they were. */
export function stringifyFhirJson(value: unknown, indent?: number): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, function replacer(this: Holder, key: string, v: unknown) {
    if (v !== null && typeof v === 'object') {
      const raw = (v as Holder)[RAW_JSON];
      if (typeof raw === 'string' && indent === undefined) return placeholder(raws, raw);
    } else if (typeof v === 'number') {
      const raw = (this[DECIMALS] as Record<string, string> | undefined)?.[key];
      if (raw !== undefined && Number(raw) === v) return placeholder(raws, raw);
    }
    return v;
  }, indent);
  return raws.length === 0 ? text : text.replace(PLACEHOLDER, (_m, i: string) => raws[Number(i)]);
}

/**
 * Serializes a resource for storage: JSON.stringify itself unless the resource holds remembered decimals (rare),
 * which only the slower replacer path writes back as written.
 */
export function stringifyStored(value: object): string {
  return (value as Holder)[HAS_DECIMALS] ? stringifyFhirJson(value) : JSON.stringify(value);
}

/** Marks an object parsed from `json` so serializers send `json` itself. The object must not be mutated after. */
export function withRawJson<T extends object>(value: T, json: string): T {
  Object.defineProperty(value, RAW_JSON, { value: json, enumerable: false });
  return value;
}

/**
 * A stored resource that is parsed only if someone looks inside: serializers send `json` as it is (RAW_JSON), so a
 * search page of stored resources is written without parsing any of them; reading a property parses once.
 */
export function lazyStored<T extends object>(json: string, parse: () => T): T {
  let parsed: T | undefined;
  const target = (): T => (parsed ??= parse());
  return new Proxy({} as T, {
    get: (_t, key) => (key === RAW_JSON ? json : Reflect.get(target(), key)),
    has: (_t, key) => key === RAW_JSON || Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(target(), key);
      return d && { ...d, configurable: true };
    },
    set: (_t, key, value) => Reflect.set(target(), key, value),
  });
}

// A per-process nonce makes placeholders unforgeable: no client string can contain one.
const NONCE = randomBytes(8).toString('hex');
const PLACEHOLDER = new RegExp(`"\\\\u0000${NONCE}:(\\d+)\\\\u0000"`, 'g');

function placeholder(raws: string[], raw: string): string {
  raws.push(raw);
  return `\u0000${NONCE}:${raws.length - 1}\u0000`;
}

/**
 * A number literal that a double might not keep as written has a fraction or an exponent, sixteen or more digits,
 * or is -0. The last two are seen in the parsed value (walkParsed); the first is a digit followed by `.`, `e` or `E`
 * in the text. Those characters also occur inside strings (UUIDs, versions, dates), so a match is only a
 * candidate, confirmed in mayHoldLossyNumber; a real literal is never missed.
 */
const FRACTION_OR_EXPONENT = /\d[.eE]/g;
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;
const AFTER_NUMBER = new Set([undefined, ' ', '\t', '\n', '\r', ',', '}', ']']);
/** From here on, integers may have more digits than a double keeps. */
const LONG_INTEGER = 1e15;

/**
 * Whether the text may hold a number literal with a fraction or exponent that JSON.parse would change. A native
 * regular expression search skips strings and indentation, most of a resource, several times faster than a
 * character loop. A false positive only sends the text down the exact path (scan, then the preserving parser).
 */
function mayHoldLossyNumber(text: string): boolean {
  for (const m of text.matchAll(FRACTION_OR_EXPONENT)) {
    const start = literalStart(text, m.index);
    if (start < 0) continue;
    const end = numberEnd(text, start);
    const literal = text.slice(start, end);
    if (AFTER_NUMBER.has(text[end]) && JSON_NUMBER.test(literal) && isLossy(literal) && !insideString(text, start)) return true;
  }
  return false;
}

/**
 * The start of the run of digits (and sign) around `at`, when it stands where a JSON value can: at the start of
 * the text, or after `:`, `,` or `[` and optional whitespace. -1 otherwise (the run is part of a string).
 */
function literalStart(text: string, at: number): number {
  let start = at;
  while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
  if (start > 0 && text.charCodeAt(start - 1) === 45) start--;
  let i = start;
  while (i > 0 && isJsonWhitespace(text.charCodeAt(i - 1))) i--;
  if (i === 0) return start;
  const before = text.charCodeAt(i - 1);
  return before === 58 || before === 44 || before === 91 ? start : -1;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isJsonWhitespace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Lines longer than this are not searched for quotes: a candidate on one counts as a number. */
const MAX_LINE_SCAN = 4096;

/**
 * Whether `at` lies inside a string, told by the quotes before it on its line: a JSON string cannot hold a raw
 * line break, so every line of pretty-printed JSON starts outside one. Narratives write things like
 * "Person seed: -1624545191170395801", which would otherwise send every such text down the exact path.
 */
function insideString(text: string, at: number): boolean {
  const lineStart = text.lastIndexOf('\n', at) + 1;
  if (at - lineStart > MAX_LINE_SCAN) return false;
  let inside = false;
  for (let i = lineStart; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 && inside) i++;
    else if (c === 34) inside = !inside;
  }
  return inside;
}

/**
 * Rejects values nesting objects and arrays deeper than MAX_DEPTH (iteratively, so any depth is safe to check),
 * and says whether a number in it may have been written with digits a double does not keep: -0, or an integer of
 * sixteen or more digits.
 */
function walkParsed(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value === 'number' && oddNumber(value);
  let odd = false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    const depth = depths.pop()!;
    if (depth > MAX_DEPTH) throw tooDeep();
    for (const key in node) {
      const child = node[key];
      if (typeof child === 'number') odd ||= oddNumber(child);
      else if (child !== null && typeof child === 'object') {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return odd;
}

function oddNumber(n: number): boolean {
  return Object.is(n, -0) || Math.abs(n) >= LONG_INTEGER;
}

function tooDeep(): FhirError {
  return new FhirError('invalid', { diagnostics: `The JSON nests deeper than ${MAX_DEPTH} levels`, code: 'structure' });
}

/** One pass over the text: checks nesting depth, and says whether any number literal would lose digits. */
function scan(text: string): boolean {
  let depth = 0;
  let lossy = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = skipString(text, i);
    else if (c === 123 || c === 91) {
      if (++depth > MAX_DEPTH) throw tooDeep();
    } else if (c === 125 || c === 93) depth--;
    else if (c === 45 || (c >= 48 && c <= 57)) {
      const end = numberEnd(text, i);
      if (!lossy && mayBeLossy(text, i, end) && isLossy(text.slice(i, end))) lossy = true;
      i = end - 1;
    }
  }
  return lossy;
}

function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return text.length;
}

function numberEnd(text: string, start: number): number {
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // digits, '.', '-', '+', 'e', 'E'
    if (!((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69)) break;
  }
  return i;
}

/** Short integers are always exact as doubles; only fractions, exponents, long digit runs and -0 need a look. */
function mayBeLossy(text: string, start: number, end: number): boolean {
  if (end - start > 15) return true;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 || c === 101 || c === 69) return true;
  }
  return text.startsWith('-0', start);
}

function isLossy(literal: string): boolean {
  const n = Number(literal);
  return Number.isFinite(n) && String(n) !== literal;
}

/** A plain recursive-descent JSON parser, used only for the rare texts with lossy decimals. Depth is checked first. */
class PreservingParser {
  private i = 0;
  /** The objects and arrays being filled, outermost first, so a lossy number can mark its ancestors. */
  private readonly open: Holder[] = [];
  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value();
    this.ws();
    if (this.i !== this.text.length) this.fail('Unexpected data after the JSON value');
    return value;
  }

  private value(holder?: Holder, key?: string): unknown {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number(holder, key);
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail('Unexpected token');
  }

  private object(): Holder {
    const obj: Holder = {};
    this.i++;
    this.ws();
    if (this.text[this.i] === '}') return this.i++, obj;
    this.open.push(obj);
    for (;;) {
      this.ws();
      if (this.text[this.i] !== '"') this.fail('Expected a property name');
      const key = this.string();
      this.ws();
      if (this.text[this.i++] !== ':') this.fail("Expected ':'");
      const v = this.value(obj, key);
      if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      else obj[key] = v;
      if (this.next('}')) return this.open.pop() as Holder;
    }
  }

  private array(): unknown[] {
    const arr: unknown[] = [];
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') return this.i++, arr;
    this.open.push(arr as unknown as Holder);
    for (;;) {
      arr.push(this.value(arr as unknown as Holder, String(arr.length)));
      if (this.next(']')) return this.open.pop() as unknown as unknown[];
    }
  }

  /** After a member: a comma (more follow) or the closing bracket. */
  private next(close: string): boolean {
    this.ws();
    const c = this.text[this.i++];
    if (c === close) return true;
    if (c !== ',') this.fail(`Expected ',' or '${close}'`);
    return false;
  }

  private string(): string {
    const end = skipString(this.text, this.i);
    if (end >= this.text.length) this.fail('Unterminated string');
    const s = JSON.parse(this.text.slice(this.i, end + 1)) as string;
    this.i = end + 1;
    return s;
  }

  private number(holder: Holder | undefined, key: string | undefined): number {
    const end = numberEnd(this.text, this.i);
    const literal = this.text.slice(this.i, end);
    if (!JSON_NUMBER.test(literal)) this.fail(`Invalid number '${literal}'`);
    this.i = end;
    const n = Number(literal);
    if (holder && key !== undefined && String(n) !== literal) {
      const map = (holder[DECIMALS] ??= {}) as Record<string, string>;
      map[key] = literal;
      // Enumerable, so that `{ ...resource }` copies keep the precision of top-level decimals.
      Object.defineProperty(holder, DECIMALS, { value: map, enumerable: true, writable: true, configurable: true });
      for (const h of this.open) {
        if (h[HAS_DECIMALS]) continue;
        Object.defineProperty(h, HAS_DECIMALS, { value: true, enumerable: true, writable: true, configurable: true });
      }
    }
    return n;
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i])) this.i++;
  }

  private fail(message: string): never {
    throw new FhirError('invalid', { diagnostics: `The body is not valid JSON: ${message} at position ${this.i}`, code: 'structure' });
  }
}
