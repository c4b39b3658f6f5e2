import type { ElementDefinition, StructureDefinition } from 'fhir/r4';
import { resourceStructureDefinitions, typeStructureDefinitions } from './definitions';

/**
 * Facts from the StructureDefinitions that the FHIR JSON schema leaves out or gets wrong:
 * - a required primitive (Observation.status) is not in the schema's `required`, because in JSON it may be
 *   present only as its `_status` extension twin;
 * - a choice element (value[x]) is a set of independent optional properties, so the schema allows two of them
 *   at once and cannot say that one of them is required (MedicationRequest.medication[x] is 1..1);
 * - the schema turns every coded element with a fixed list into an enum, even where the binding is only
 *   extensible (Expression.language), which would reject legal codes;
 * - it gives modifierExtension to sub-elements whose type is Element, not BackboneElement (Timing.repeat).
 * http://hl7.org/fhir/R4/json.html#primitive, http://hl7.org/fhir/R4/formats.html#choice
 */
export interface StructureFacts {
  /** Cardinality rules by schema definition name (Observation, Observation_Component). */
  rules: Map<string, ElementRules>;
  /** 'Definition.property' of coded elements whose binding is not `required`. */
  looselyBound: Set<string>;
  /** Definitions of sub-elements typed Element: no modifierExtension allowed. */
  elementTyped: Set<string>;
}

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
  /** Their extension twins (`_valueString`...), named once here rather than on every check. */
  twins: string[];
  required: boolean;
}

type SchemaDefinitions = Record<string, { properties?: Record<string, any>; required?: string[] }>;

export function structureFacts(defs: SchemaDefinitions): StructureFacts {
  const facts: StructureFacts = { rules: new Map(), looselyBound: new Set(), elementTyped: new Set() };
  const structures = [...resourceStructureDefinitions().values(), ...typeStructureDefinitions().values()];
  for (const sd of structures) addStructureFacts(sd, defs, facts);
  return facts;
}

function addStructureFacts(sd: StructureDefinition, defs: SchemaDefinitions, facts: StructureFacts): void {
  for (const element of sd.snapshot?.element ?? []) {
    const dot = element.path.lastIndexOf('.');
    if (dot < 0) continue;
    const defName = definitionAt(defs, element.path.slice(0, dot));
    if (!defName) continue; // a path this schema does not know (the definitions carry a few later additions)
    const name = element.path.slice(dot + 1);
    const def = defs[defName];
    if (name.endsWith('[x]')) addChoiceRule(element, name.slice(0, -3), def, rulesOf(facts.rules, defName));
    else if ((element.min ?? 0) >= 1) addRequired(name, def, rulesOf(facts.rules, defName));
    if (element.binding && element.binding.strength !== 'required') facts.looselyBound.add(`${defName}.${name}`);
    if (element.type?.[0]?.code === 'Element') {
      const child = definitionAt(defs, element.path);
      if (child && child !== 'Element') facts.elementTyped.add(child);
    }
  }
}

function addChoiceRule(element: ElementDefinition, name: string, def: SchemaDefinitions[string], rules: ElementRules): void {
  const props = (element.type ?? [])
    .map((t) => name + t.code.charAt(0).toUpperCase() + t.code.slice(1))
    .filter((p) => def.properties?.[p] !== undefined);
  if (props.length === 0 || rules.choices.some((c) => c.name === name)) return;
  rules.choices.push({ name, props, twins: props.map((p) => `_${p}`), required: (element.min ?? 0) >= 1 });
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
