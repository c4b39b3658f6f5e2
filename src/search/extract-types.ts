import {
  childElement,
  possibleKeys,
  R4_MODEL,
  typeNameForSuffix,
  valueTypePath,
  type TypePath,
} from '../fhir/fhirpath-patch-model';

/**
 * The R4 element model as index extraction needs it: where a child element sits in JSON (one key, or one key per
 * type for a choice element, https://hl7.org/fhir/R4/formats.html#choice) and what type its values have. Knowing the
 * type statically is what lets a ContactPoint and an Identifier (both `{system, value}`) be told apart without
 * guessing from their shape. Reuses the fhirpath package's R4 model, so the fast path and the engine agree.
 */

/** One JSON key a path step may read, and the type path of the values found there. */
export interface Slot {
  key: string;
  position: TypePath;
}

/** FHIRPath System types of a few R4 elements (Resource.id, Extension.url) as the FHIR primitive they hold. */
const SYSTEM_TYPES: Readonly<Record<string, string>> = {
  'System.String': 'string',
  'System.Boolean': 'boolean',
  'System.Date': 'date',
  'System.DateTime': 'dateTime',
  'System.Decimal': 'decimal',
  'System.Integer': 'integer',
  'System.Time': 'time',
};

/** The keys under which child `name` of a value at `position` may be found, or undefined if R4 has no such child. */
export function childSlots(position: TypePath, name: string): Slot[] | undefined {
  const element = childElement(position, name);
  if (!element) return undefined;
  if (element.choiceSuffixes) return choiceSlots(element.name, element.choiceSuffixes);
  const type = valueTypePath(element);
  if (type === undefined) return undefined;
  return possibleKeys(element).map((key) => ({ key, position: fhirPrimitiveOf(type) }));
}

/** A FHIRPath System type as the FHIR primitive it stands for; any other type path unchanged. */
export function fhirPrimitiveOf(type: string): string {
  return Object.hasOwn(SYSTEM_TYPES, type) ? SYSTEM_TYPES[type] : type;
}

function choiceSlots(name: string, suffixes: string[]): Slot[] {
  return suffixes.flatMap((suffix) => {
    const type = typeNameForSuffix(suffix);
    return type ? [{ key: name + suffix, position: type }] : [];
  });
}

/** True when a value of type `actual` is a `wanted` (FHIRPath `is`/`as`: the type or a specialisation of it). */
export function isOfType(actual: TypePath, wanted: string): boolean {
  for (let t: string | undefined = actual; t; t = parentType(t)) {
    if (t === wanted) return true;
  }
  return false;
}

function parentType(type: string): string | undefined {
  return Object.hasOwn(R4_MODEL.type2Parent, type) ? R4_MODEL.type2Parent[type] : undefined;
}

/**
 * The FHIR type an `as(T)`/`ofType(T)` argument names. Definitions sometimes write the FHIRPath System name
 * (`value.as(DateTime)` in Observation-code-value-date) where the FHIR primitive is meant.
 */
export function fhirTypeName(name: string): string | undefined {
  if (R4_MODEL.availableTypes.has(name)) return name;
  const lowered = name.charAt(0).toLowerCase() + name.slice(1);
  return R4_MODEL.availableTypes.has(lowered) ? lowered : undefined;
}
