import type { ElementDefinition, StructureDefinition } from 'fhir/r4';
import { resourceStructureDefinitions, typeStructureDefinitions } from './definitions';

/**
 * Cardinality facts the FHIR JSON schema leaves out, taken from the StructureDefinitions:
 * - a required primitive (Observation.status) is not in the schema's `required`, because in JSON it may be
 *   present only as its `_status` extension twin;
 * - a choice element (value[x]) is a set of independent optional properties, so the schema allows two of them
 *   at once and cannot say that one of them is required (MedicationRequest.medication[x] is 1..1).
 * http://hl7.org/fhir/R4/json.html#primitive, http://hl7.org/fhir/R4/formats.html#choice
 */
export interface ElementRules {
  /** Elements with min >= 1 missing from the schema's `required`: the property or its `_` twin must be present. */
  required: string[];
  choices: ChoiceRule[];
}

export interface ChoiceRule {
  /** The element name without [x], e.g. 'value'. */
  name: string;
  /** Its JSON property names, one per type: valueString, valueQuantity... */
  props: string[];
  required: boolean;
}

type SchemaDefinitions = Record<string, { properties?: Record<string, any>; required?: string[] }>;

/** The rules of every schema definition that has some, keyed by definition name (Observation, Observation_Component). */
export function elementRulesByDefinition(defs: SchemaDefinitions): Map<string, ElementRules> {
  const rules = new Map<string, ElementRules>();
  const structures = [...resourceStructureDefinitions().values(), ...typeStructureDefinitions().values()];
  for (const sd of structures) addStructureRules(sd, defs, rules);
  return rules;
}

function addStructureRules(sd: StructureDefinition, defs: SchemaDefinitions, rules: Map<string, ElementRules>): void {
  for (const element of sd.snapshot?.element ?? []) {
    const dot = element.path.lastIndexOf('.');
    if (dot < 0) continue;
    const defName = definitionAt(defs, element.path.slice(0, dot));
    if (!defName) continue; // a path this schema does not know (the definitions carry a few later additions)
    const name = element.path.slice(dot + 1);
    if (name.endsWith('[x]')) addChoiceRule(element, name.slice(0, -3), defs[defName], rulesOf(rules, defName));
    else if ((element.min ?? 0) >= 1) addRequired(name, defs[defName], rulesOf(rules, defName));
  }
}

function addChoiceRule(element: ElementDefinition, name: string, def: SchemaDefinitions[string], rules: ElementRules): void {
  const props = (element.type ?? [])
    .map((t) => name + t.code.charAt(0).toUpperCase() + t.code.slice(1))
    .filter((p) => def.properties?.[p] !== undefined);
  if (props.length === 0 || rules.choices.some((c) => c.name === name)) return;
  rules.choices.push({ name, props, required: (element.min ?? 0) >= 1 });
}

/** Mostly primitives (and Extension.url): a required complex element is already in the schema's own `required`. */
function addRequired(name: string, def: SchemaDefinitions[string], rules: ElementRules): void {
  const known = def.properties?.[name] !== undefined;
  if (known && !def.required?.includes(name) && !rules.required.includes(name)) rules.required.push(name);
}

function rulesOf(rules: Map<string, ElementRules>, defName: string): ElementRules {
  let r = rules.get(defName);
  if (!r) rules.set(defName, (r = { required: [], choices: [] }));
  return r;
}

/**
 * The schema definition that describes the element at an SD path, found by following the schema's own $refs
 * (Observation.component → Observation_Component) rather than guessing its name: backbone definitions carry
 * numeric suffixes (ClaimResponse_Detail1) that only the schema knows.
 */
export function definitionAt(defs: SchemaDefinitions, path: string): string | undefined {
  const [root, ...steps] = path.split('.');
  let defName: string | undefined = root;
  for (const step of steps) {
    const prop: any = defName !== undefined ? defs[defName]?.properties?.[step] : undefined;
    const ref: unknown = prop?.$ref ?? prop?.items?.$ref;
    defName = typeof ref === 'string' ? ref.slice(ref.lastIndexOf('/') + 1) : undefined;
  }
  return defName !== undefined && defs[defName] ? defName : undefined;
}
