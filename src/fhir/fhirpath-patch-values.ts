import { FhirError } from './errors';
import { appendToList, type ElementContent, type JsonObject, setSides } from './fhirpath-patch-json';
import {
  childElement,
  choiceKey,
  type ElementInfo,
  isPrimitiveLike,
  isResourceType,
  possibleKeys,
  type TypePath,
  valueTypePath,
} from './fhirpath-patch-model';
import type { NamedValue, PatchValue } from './fhirpath-patch-params';

/**
 * Turns a patch value into the JSON it becomes inside the resource. Values are deep-copied, so the resource
 * never shares objects with the Parameters it was patched from.
 */

export interface Materialised extends ElementContent {
  /** The value[x] type suffix ("Boolean", "HumanName"), which picks the JSON name of a choice element. */
  suffix?: string;
}

/** The JSON for `value` as the element `element`, checked against the element's type. */
export function contentFor(element: ElementInfo, value: PatchValue, where: string): Materialised {
  const suffix = value.kind === 'typed' ? value.suffix : undefined;
  return materialise(value, valueTypePath(element, suffix), where);
}

/**
 * @param targetType the type the element holds ("HumanName", "date", "Resource"), or the backbone path of an
 *   anonymous type ("Patient.contact"); undefined when not known (a choice element given no type).
 * @param where the element being written, for error messages.
 */
export function materialise(value: PatchValue, targetType: TypePath | undefined, where: string): Materialised {
  switch (value.kind) {
    case 'typed':
      return typedContent(value, targetType, where);
    case 'resource':
      if (!targetType || !isResourceType(targetType)) throw unprocessable(`${where} cannot hold a resource`);
      return { value: structuredClone(value.resource) };
    case 'parts':
      if (!targetType || isPrimitiveLike(targetType) || isResourceType(targetType)) {
        throw unprocessable(`${where} cannot be given as parts (it is not a complex or anonymous element)`);
      }
      return { value: buildAnonymous(targetType, value.parts, where) };
  }
}

function typedContent(value: Extract<PatchValue, { kind: 'typed' }>, targetType: TypePath | undefined, where: string): Materialised {
  if (targetType && (isResourceType(targetType) || isPrimitiveLike(targetType) !== value.primitive)) {
    throw unprocessable(`${where} holds a ${targetType}; value${value.suffix} does not fit`);
  }
  const content: Materialised = { suffix: value.suffix };
  if (value.value !== undefined) content.value = structuredClone(value.value);
  if (value.extra !== undefined) content.extra = structuredClone(value.extra);
  return content;
}

/** http://hl7.org/fhir/R4/fhirpatch.html: "a set of parts that are values" for e.g. Patient.contact. */
function buildAnonymous(typePath: TypePath, parts: NamedValue[], where: string): JsonObject {
  const result: JsonObject = {};
  for (const part of parts) {
    const element = childElement(typePath, part.name);
    if (!element) throw unprocessable(`${typePath} has no element "${part.name}"`);
    const at = `${where}.${part.name}`;
    const content = contentFor(element, part.value, at);
    putElement(result, element, content, at);
  }
  return result;
}

/**
 * Puts `content` into `owner` as `element`: appended when the element repeats, otherwise set, refusing to
 * overwrite (the spec's add works "for non-repeating elements as long as they do not already exist").
 */
export function putElement(owner: JsonObject, element: ElementInfo, content: Materialised, where: string): void {
  const key = keyFor(element, content.suffix, where);
  if (element.repeats) {
    appendToList(owner, key, content);
    return;
  }
  const taken = possibleKeys(element).find((k) => Object.hasOwn(owner, k) || Object.hasOwn(owner, '_' + k));
  if (taken) throw unprocessable(`${where} already has a value (${taken}); use replace to change it`);
  setSides(owner, key, content);
}

/** The JSON name for the element, which for a choice element depends on the type of the value. */
export function keyFor(element: ElementInfo, suffix: string | undefined, where: string): string {
  const key = choiceKey(element, suffix);
  if (!key) {
    const allowed = element.choiceSuffixes?.join(', ');
    throw unprocessable(`${where} is a choice element: the value must be one of the types ${allowed}`);
  }
  return key;
}

function unprocessable(diagnostics: string): FhirError {
  return new FhirError('unprocessable', diagnostics);
}
