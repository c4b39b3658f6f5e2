import type { ElementDefinition, StructureDefinition } from 'fhir/r4';
import { resourceStructureDefinitions, typeStructureDefinitions } from '../../src/fhir/definitions';

/**
 * Test support: enough FHIR XML (http://hl7.org/fhir/R4/xml.html) to read the official test-case files and turn
 * their resources into FHIR JSON (http://hl7.org/fhir/R4/json.html). Which elements repeat, which are primitive
 * and of what type comes from the R4 StructureDefinitions, not from the model the patch code itself uses, so the
 * two cross-check each other.
 *
 * The XML reader covers what FHIR files use: elements, attributes, text, comments, CDATA, processing
 * instructions and the predefined and numeric entities. No DTDs, no namespace prefixes.
 */

export interface XmlElement {
  name: string;
  attributes: Array<[string, string]>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// XML

const NAME = /[A-Za-z_][\w.:-]*/y;
const ATTRIBUTE = /\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Parses a document and returns its root element. */
export function parseXml(text: string): XmlElement {
  // XML 1.0 section 2.11: every line break reaches the application as a single \n.
  const reader = { text: text.replace(/\r\n?/g, '\n'), at: 0 };
  skipMisc(reader);
  const root = readElement(reader);
  skipMisc(reader);
  if (reader.at < reader.text.length) throw new Error(`XML: content after the root element at ${reader.at}`);
  return root;
}

interface Reader {
  text: string;
  at: number;
}

function skipMisc(r: Reader): void {
  for (;;) {
    const rest = r.text.slice(r.at);
    const ws = /^\s+/.exec(rest);
    if (ws) r.at += ws[0].length;
    else if (rest.startsWith('<?')) r.at = endOf(r, '?>');
    else if (rest.startsWith('<!--')) r.at = endOf(r, '-->');
    else return;
  }
}

function endOf(r: Reader, terminator: string): number {
  const end = r.text.indexOf(terminator, r.at);
  if (end < 0) throw new Error(`XML: unterminated construct at ${r.at}`);
  return end + terminator.length;
}

function readElement(r: Reader): XmlElement {
  if (r.text[r.at] !== '<') throw new Error(`XML: expected an element at ${r.at}`);
  r.at++;
  const name = match(r, NAME, 'an element name')[0];
  const attributes: Array<[string, string]> = [];
  for (let m = tryMatch(r, ATTRIBUTE); m; m = tryMatch(r, ATTRIBUTE)) {
    attributes.push([m[1], decode((m[3] ?? m[4]).replace(/[\t\n]/g, ' '))]);
  }
  const close = match(r, /\s*(\/?)>/y, '> or />');
  const element: XmlElement = { name, attributes, children: [] };
  if (close[1] !== '/') readContent(r, element);
  return element;
}

function readContent(r: Reader, element: XmlElement): void {
  for (;;) {
    const lt = r.text.indexOf('<', r.at);
    if (lt < 0) throw new Error(`XML: <${element.name}> is not closed`);
    if (lt > r.at) element.children.push(decode(r.text.slice(r.at, lt)));
    r.at = lt;
    const rest = r.text.slice(r.at, r.at + 9);
    if (rest.startsWith('</')) {
      r.at += 2;
      const name = match(r, NAME, 'a closing tag name')[0];
      if (name !== element.name) throw new Error(`XML: </${name}> closes <${element.name}>`);
      match(r, /\s*>/y, '>');
      return;
    }
    if (rest.startsWith('<!--')) r.at = endOf(r, '-->');
    else if (rest.startsWith('<?')) r.at = endOf(r, '?>');
    else if (rest.startsWith('<![CDATA[')) readCdata(r, element);
    else element.children.push(readElement(r));
  }
}

function readCdata(r: Reader, element: XmlElement): void {
  const end = endOf(r, ']]>');
  element.children.push(r.text.slice(r.at + '<![CDATA['.length, end - 3));
  r.at = end;
}

function tryMatch(r: Reader, pattern: RegExp): RegExpExecArray | null {
  pattern.lastIndex = r.at;
  const m = pattern.exec(r.text);
  if (m) r.at = pattern.lastIndex;
  return m;
}

function match(r: Reader, pattern: RegExp, what: string): RegExpExecArray {
  const m = tryMatch(r, pattern);
  if (!m) throw new Error(`XML: expected ${what} at ${r.at}`);
  return m;
}

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    if (!Object.hasOwn(ENTITIES, ref)) throw new Error(`XML: unknown entity ${whole}`);
    return ENTITIES[ref];
  });
}

/** Writes an element back as XML text: FHIR JSON carries the narrative div this way. */
export function serializeXml(element: XmlElement): string {
  const attributes = element.attributes.map(([k, v]) => ` ${k}="${escapeXml(v, true)}"`).join('');
  if (element.children.length === 0) return `<${element.name}${attributes}/>`;
  const content = element.children.map((c) => (typeof c === 'string' ? escapeXml(c, false) : serializeXml(c))).join('');
  return `<${element.name}${attributes}>${content}</${element.name}>`;
}

function escapeXml(text: string, attribute: boolean): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return attribute ? escaped.replace(/"/g, '&quot;') : escaped;
}

export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== 'string');
}

export function attribute(element: XmlElement, name: string): string | undefined {
  return element.attributes.find(([k]) => k === name)?.[1];
}

// ---------------------------------------------------------------------------------------------------------------
// FHIR XML -> FHIR JSON

/** Where an element's children are defined: a StructureDefinition and the path inside it. */
interface Scope {
  definition: StructureDefinition;
  path: string;
}

interface ChildDefinition {
  repeats: boolean;
  /** A type code ("HumanName", "date", "Resource") or "" for a backbone element. */
  type: string;
  scope: Scope;
}

const NUMBER_TYPES: ReadonlySet<string> = new Set(['integer', 'positiveInt', 'unsignedInt', 'decimal']);
/** Attributes that are FHIR content rather than XML plumbing; `value` is handled with the primitive. */
const CONTENT_ATTRIBUTES: ReadonlySet<string> = new Set(['id', 'url']);

/** Converts FHIR XML resources to FHIR JSON. Keeps its element index per instance, nothing global. */
export class FhirXmlConverter {
  private readonly elementIndex = new Map<StructureDefinition, Map<string, ElementDefinition>>();

  /** `element` is a resource element such as <Patient xmlns="http://hl7.org/fhir">. */
  resource(element: XmlElement): Json {
    const definition = resourceStructureDefinitions().get(element.name);
    if (!definition) throw new Error(`FHIR XML: ${element.name} is not an R4 resource type`);
    return { resourceType: element.name, ...this.complex(element, { definition, path: element.name }) };
  }

  private complex(element: XmlElement, scope: Scope): Json {
    const result: Json = {};
    for (const [name, value] of element.attributes) if (CONTENT_ATTRIBUTES.has(name)) result[name] = value;
    const entries = new Map<string, { child: ChildDefinition; items: Array<{ value?: unknown; extra?: Json }> }>();
    for (const xmlChild of childElements(element)) {
      const child = this.child(scope, xmlChild.name);
      const entry = entries.get(xmlChild.name) ?? { child, items: [] };
      entry.items.push(this.content(xmlChild, child));
      entries.set(xmlChild.name, entry);
    }
    for (const [name, { child, items }] of entries) assign(result, name, child.repeats, items);
    return result;
  }

  private content(element: XmlElement, child: ChildDefinition): { value?: unknown; extra?: Json } {
    if (child.type === 'xhtml') return { value: serializeXml(element) };
    if (child.type === 'Resource') return { value: this.resource(onlyChild(element)) };
    if (!isPrimitive(child.type)) return { value: this.complex(element, child.scope) };
    const raw = attribute(element, 'value');
    const extra = this.complex(element, child.scope);
    return { value: raw === undefined ? undefined : primitiveValue(child.type, raw), extra: Object.keys(extra).length ? extra : undefined };
  }

  /** The definition of child `name` in `scope`, including choice elements (valueString -> value[x]). */
  private child(scope: Scope, name: string): ChildDefinition {
    const elements = this.elements(scope.definition);
    const exact = elements.get(`${scope.path}.${name}`);
    if (exact) return this.describe(scope, exact, exact.type?.[0]?.code ?? '');
    for (const [path, definition] of elements) {
      if (!path.startsWith(scope.path + '.') || !path.endsWith('[x]')) continue;
      const base = path.slice(scope.path.length + 1, -3);
      if (base.includes('.') || !name.startsWith(base)) continue;
      const type = definition.type?.find((t) => capitalise(t.code) === name.slice(base.length));
      if (type) return this.describe(scope, definition, type.code);
    }
    throw new Error(`FHIR XML: ${scope.path} has no element ${name}`);
  }

  private describe(scope: Scope, definition: ElementDefinition, typeCode: string): ChildDefinition {
    const repeats = definition.max !== '1' && definition.max !== '0';
    if (definition.contentReference) {
      return { repeats, type: '', scope: { definition: scope.definition, path: definition.contentReference.slice(1) } };
    }
    const type = typeCode.startsWith('http://hl7.org/fhirpath/System.') ? 'string' : typeCode;
    if (type === 'BackboneElement' || type === 'Element') return { repeats, type: '', scope: { definition: scope.definition, path: definition.path } };
    const typeDefinition = typeStructureDefinitions().get(type);
    return { repeats, type, scope: typeDefinition ? { definition: typeDefinition, path: type } : scope };
  }

  private elements(definition: StructureDefinition): Map<string, ElementDefinition> {
    let index = this.elementIndex.get(definition);
    if (!index) {
      index = new Map((definition.snapshot?.element ?? []).map((e) => [e.path, e]));
      this.elementIndex.set(definition, index);
    }
    return index;
  }
}

/** Repeating primitives become two parallel arrays, value and `_name`, with null where one side is absent. */
function assign(result: Json, name: string, repeats: boolean, items: Array<{ value?: unknown; extra?: Json }>): void {
  if (!repeats) {
    if (items.length > 1) throw new Error(`FHIR XML: ${name} repeats but is not a list`);
    if (items[0].value !== undefined) result[name] = items[0].value;
    if (items[0].extra !== undefined) result['_' + name] = items[0].extra;
    return;
  }
  if (items.some((i) => i.value !== undefined)) result[name] = items.map((i) => i.value ?? null);
  if (items.some((i) => i.extra !== undefined)) result['_' + name] = items.map((i) => i.extra ?? null);
}

function primitiveValue(type: string, raw: string): unknown {
  if (type === 'boolean') return raw === 'true';
  if (NUMBER_TYPES.has(type)) return Number(raw);
  return raw;
}

function isPrimitive(type: string): boolean {
  return /^[a-z]/.test(type);
}

function onlyChild(element: XmlElement): XmlElement {
  const children = childElements(element);
  if (children.length !== 1) throw new Error(`FHIR XML: <${element.name}> must contain exactly one resource`);
  return children[0];
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
