import type { Model } from 'fhirpath';
import * as r4 from 'fhirpath/fhir-context/r4';

/**
 * What FHIRPath Patch needs to know about the R4 element model: which element names exist under a type, which of
 * them repeat (so JSON holds an array, http://hl7.org/fhir/R4/json.html#arrays), which are choice elements
 * (value[x], http://hl7.org/fhir/R4/formats.html#choice) and which types are primitives (so JSON carries a
 * `_name` sibling, http://hl7.org/fhir/R4/json.html#primitive).
 *
 * The answers come from the R4 model bundled with the fhirpath package, the same one the paths are evaluated
 * against, so "this path found element X" and "X repeats" never disagree. The model is immutable data.
 */
export const R4_MODEL = r4 as unknown as Model & { availableTypes: Set<string> };

/** A "type path" names where an element's children are defined: a type ("HumanName") or a backbone path. */
export type TypePath = string;

export interface ElementInfo {
  /** Canonical model path, e.g. "Patient.contact" or "Questionnaire.item" for Questionnaire.item.item. */
  path: string;
  /** The element name without any choice suffix, e.g. "deceased". */
  name: string;
  repeats: boolean;
  /** For a choice element: the allowed type suffixes, e.g. ["Boolean", "DateTime"]. */
  choiceSuffixes?: string[];
  /** When the name was given with its choice suffix ("deceasedBoolean"): that suffix. */
  fixedSuffix?: string;
}

const ELEMENT_NAME = /^[a-z][A-Za-z0-9]*$/;
const ABSTRACT_ELEMENT_TYPES: ReadonlySet<string> = new Set(['Element', 'BackboneElement']);

/** The element `name` as a child of `typePath`, searching up the type hierarchy; undefined if R4 has no such child. */
export function childElement(typePath: TypePath, name: string): ElementInfo | undefined {
  if (!ELEMENT_NAME.test(name)) return undefined;
  for (let owner: string | undefined = typePath; owner; owner = supertypeOf(owner)) {
    const found = ownChildElement(owner, name);
    if (found) return found;
  }
  return undefined;
}

function ownChildElement(owner: string, name: string): ElementInfo | undefined {
  const path = canonicalPath(`${owner}.${name}`);
  const choiceSuffixes = lookup(R4_MODEL.choiceTypePaths, path);
  if (choiceSuffixes) return { path, name, repeats: false, choiceSuffixes };
  const concrete = concreteChoice(owner, name);
  if (concrete) return concrete;
  if (lookup(R4_MODEL.path2Type, path) === undefined) return undefined;
  return { path, name, repeats: lookup(R4_MODEL.path2Repeating, path) === true };
}

/** "deceasedBoolean" under Patient is the choice element "deceased" with its type fixed to Boolean. */
function concreteChoice(owner: string, name: string): ElementInfo | undefined {
  for (let i = 1; i < name.length; i++) {
    if (name[i] < 'A' || name[i] > 'Z') continue;
    const path = canonicalPath(`${owner}.${name.slice(0, i)}`);
    const suffixes = lookup(R4_MODEL.choiceTypePaths, path);
    if (suffixes?.includes(name.slice(i))) {
      return { path, name: name.slice(0, i), repeats: false, choiceSuffixes: suffixes, fixedSuffix: name.slice(i) };
    }
  }
  return undefined;
}

/** Backbone paths inherit from BackboneElement/Element; named types from their base type (HumanName -> Element). */
function supertypeOf(typePath: TypePath): string | undefined {
  return typePath.includes('.') ? lookup(R4_MODEL.path2Type, typePath) : lookup(R4_MODEL.type2Parent, typePath);
}

/** Questionnaire.item.item is defined by Questionnaire.item (a contentReference in the StructureDefinition). */
export function canonicalPath(path: string): string {
  return lookup(R4_MODEL.pathsDefinedElsewhere, path) ?? path;
}

/**
 * Where the children of a value of this element are defined: the backbone path for anonymous types
 * (Patient.contact), the type name otherwise (HumanName, or the choice's chosen type).
 */
export function valueTypePath(element: ElementInfo, suffix?: string): TypePath | undefined {
  if (element.choiceSuffixes) {
    const chosen = suffix ?? element.fixedSuffix;
    return chosen ? typeNameForSuffix(chosen) : undefined;
  }
  const type = lookup(R4_MODEL.path2Type, element.path);
  if (type === undefined) return undefined;
  return ABSTRACT_ELEMENT_TYPES.has(type) ? element.path : type;
}

/** The JSON property name of a choice element given the type suffix of its value, e.g. deceased + Boolean. */
export function choiceKey(element: ElementInfo, suffix: string | undefined): string | undefined {
  if (!element.choiceSuffixes) return element.name;
  const chosen = suffix ?? element.fixedSuffix;
  if (!chosen || !element.choiceSuffixes.includes(chosen)) return undefined;
  if (element.fixedSuffix && chosen !== element.fixedSuffix) return undefined;
  return element.name + chosen;
}

/** Every JSON property name the element may occupy (one, or one per type for a choice element). */
export function possibleKeys(element: ElementInfo): string[] {
  return element.choiceSuffixes ? element.choiceSuffixes.map((s) => element.name + s) : [element.name];
}

/** The choice suffixes declared for `parentPath.name`, if that is a choice element. */
export function choiceSuffixesAt(parentTypePath: TypePath, name: string): string[] | undefined {
  return lookup(R4_MODEL.choiceTypePaths, canonicalPath(`${parentTypePath}.${name}`));
}

/** The type named by a value[x] suffix ("String" -> "string", "HumanName" -> "HumanName"), if it is a datatype. */
export function typeNameForSuffix(suffix: string): string | undefined {
  const primitive = suffix.charAt(0).toLowerCase() + suffix.slice(1);
  if (isPrimitiveType(primitive)) return primitive;
  return isComplexDatatype(suffix) ? suffix : undefined;
}

export function isPrimitiveType(type: string): boolean {
  return /^[a-z]/.test(type) && R4_MODEL.availableTypes.has(type);
}

/** A FHIR primitive, or a FHIRPath System type (Element.id, Extension.url): held as a JSON scalar. */
export function isPrimitiveLike(type: string): boolean {
  return isPrimitiveType(type) || type.startsWith('System.');
}

/** "Resource" itself (Patient.contained, Bundle.entry.resource) or any resource type. */
export function isResourceType(type: string): boolean {
  for (let t: string | undefined = type; t; t = lookup(R4_MODEL.type2Parent, t)) {
    if (t === 'Resource') return true;
  }
  return false;
}

/** A concrete complex datatype (Coding, HumanName, Meta...): not a resource, not an abstract base. */
function isComplexDatatype(type: string): boolean {
  if (!/^[A-Z]/.test(type) || !R4_MODEL.availableTypes.has(type) || ABSTRACT_ELEMENT_TYPES.has(type)) return false;
  return !isResourceType(type);
}

/** Own-property lookup, so that a path can never reach Object.prototype members. */
function lookup<V>(table: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
