/**
 * Reading and writing one element of FHIR JSON, keeping a primitive's value and its `_name` sibling (id and
 * extensions, http://hl7.org/fhir/R4/json.html#primitive) in step. For repeating primitives both are arrays of
 * the same length with null for "nothing here" on either side; an array of only nulls is dropped, as are empty
 * arrays and objects, which FHIR JSON does not allow (http://hl7.org/fhir/R4/json.html).
 */

export type JsonObject = Record<string, unknown>;

/** An element's content: `value` under its name and, for primitives, `extra` under `_name`. */
export interface ElementContent {
  value?: unknown;
  extra?: JsonObject;
}

/** Where an element sits: `owner[key]`, or `owner[key][index]` for one item of a repeating element. */
export interface Slot {
  owner: JsonObject;
  key: string;
  index?: number;
}

export function readSlot(slot: Slot): ElementContent {
  const { owner, key, index } = slot;
  const value = index === undefined ? owner[key] : asArray(owner[key])[index];
  const extra = index === undefined ? owner['_' + key] : asArray(owner['_' + key])[index];
  return contentOf(value, extra);
}

/** Replaces the element at `slot` with `content`, or moves it to `newKey` (a choice element changing type). */
export function writeSlot(slot: Slot, content: ElementContent, newKey = slot.key): void {
  const { owner, key, index } = slot;
  if (index === undefined) {
    // Deleting first would move the element to the end of the object; keep its place when the name stays.
    if (newKey !== key) deleteSides(owner, key);
    replaceSide(owner, newKey, content.value);
    replaceSide(owner, '_' + newKey, content.extra);
    return;
  }
  setItem(owner, key, index, content.value ?? null);
  setItem(owner, '_' + key, index, content.extra ?? null);
  tidyList(owner, key);
}

/** Removes the element at `slot`; a list item is spliced out of both sides so later items keep their pairs. */
export function removeSlot(slot: Slot): void {
  const { owner, key, index } = slot;
  if (index === undefined) {
    deleteSides(owner, key);
    return;
  }
  for (const side of [key, '_' + key]) {
    const list = owner[side];
    if (Array.isArray(list) && index < list.length) list.splice(index, 1);
  }
  tidyList(owner, key);
}

/** Inserts `content` into the list `owner[key]` before `position` (position = length appends). */
export function insertIntoList(owner: JsonObject, key: string, position: number, content: ElementContent): void {
  const length = listLength(owner, key);
  for (const [side, item] of [[key, content.value], ['_' + key, content.extra]] as const) {
    const list = padded(owner[side], length);
    list.splice(position, 0, item ?? null);
    owner[side] = list;
  }
  tidyList(owner, key);
}

export function appendToList(owner: JsonObject, key: string, content: ElementContent): void {
  insertIntoList(owner, key, listLength(owner, key), content);
}

/** A single (non-repeating) element. */
export function setSides(owner: JsonObject, key: string, content: ElementContent): void {
  if (content.value !== undefined) owner[key] = content.value;
  if (content.extra !== undefined) owner['_' + key] = content.extra;
}

/** Number of items in a repeating element, counting both sides (a primitive may have only extensions). */
export function listLength(owner: JsonObject, key: string): number {
  return Math.max(asArray(owner[key]).length, asArray(owner['_' + key]).length);
}

/**
 * The `_name` object of the primitive at `slot`, created when missing, so that id or extension can be added to
 * a primitive.
 */
export function extraObjectOf(slot: Slot): JsonObject {
  const existing = readSlot(slot).extra;
  if (existing) return existing;
  const created: JsonObject = {};
  if (slot.index === undefined) {
    slot.owner['_' + slot.key] = created;
  } else {
    setItem(slot.owner, '_' + slot.key, slot.index, created);
  }
  return created;
}

export function isEmptyObject(value: unknown): boolean {
  return isJsonObject(value) && Object.keys(value).length === 0;
}

/** True if the element holds nothing: no value, and no (or an empty) `_name` sibling. */
export function isEmptyContent(content: ElementContent): boolean {
  const noValue = content.value === undefined || content.value === null || isEmptyObject(content.value);
  return noValue && (content.extra === undefined || isEmptyObject(content.extra));
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function contentOf(value: unknown, extra: unknown): ElementContent {
  const content: ElementContent = {};
  if (value !== undefined && value !== null) content.value = value;
  if (isJsonObject(extra)) content.extra = extra;
  return content;
}

function deleteSides(owner: JsonObject, key: string): void {
  delete owner[key];
  delete owner['_' + key];
}

function replaceSide(owner: JsonObject, key: string, value: unknown): void {
  if (value === undefined) delete owner[key];
  else owner[key] = value;
}

function setItem(owner: JsonObject, key: string, index: number, item: unknown): void {
  const list = padded(owner[key], index + 1);
  list[index] = item;
  owner[key] = list;
}

/** Drops a side that holds only nulls, and the whole element when both sides are empty. */
function tidyList(owner: JsonObject, key: string): void {
  const length = listLength(owner, key);
  for (const side of [key, '_' + key]) {
    const list = owner[side];
    if (!Array.isArray(list)) continue;
    if (list.every((item) => item === null || item === undefined)) {
      delete owner[side];
    } else {
      owner[side] = padded(list, length);
    }
  }
}

/** A copy of `value` as an array at least `length` long, filled with nulls. */
function padded(value: unknown, length: number): unknown[] {
  const list = Array.isArray(value) ? [...value] : [];
  while (list.length < length) list.push(null);
  return list;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
