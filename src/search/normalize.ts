/**
 * String folding for search. R4 string search is "case- and accent-insensitive" by default and matches from the
 * start of the value (https://hl7.org/fhir/R4/search.html#string); `:exact` compares the value as written. The same
 * folding must be applied to stored values (src/search/extract-values.ts) and to query values, so both live here.
 */

/** Folded values longer than this keep only their first code points: enough for starts-with and most :contains. */
export const FOLDED_MAX_LENGTH = 256;

/**
 * Values kept for `:exact` longer than this are cut too (narrative-sized markdown would otherwise be stored twice).
 * A query value at least this long can therefore only be compared on its first EXACT_MAX_LENGTH code points.
 */
export const EXACT_MAX_LENGTH = 1024;

/**
 * Letters that carry no combining mark under NFD and so survive accent stripping, mapped to what a user types
 * on a keyboard without them (Nordic and German names are common here).
 */
const LETTER_FOLDS: Readonly<Record<string, string>> = {
  æ: 'ae',
  ø: 'o',
  ß: 'ss',
  œ: 'oe',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};
const FOLDABLE_LETTERS = /[æøßœłđðþı]/g;
const COMBINING_MARKS = /\p{M}+/gu;
const WHITESPACE_RUNS = /\s+/g;
const UNTIDY_WHITESPACE = /[^\S ]| {2}|^ | $/;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/** Lower case, accents removed (Åsa → asa, Øberg → oberg, Straße → strasse), whitespace collapsed, capped. */
export function foldString(text: string): string {
  let folded = text.toLowerCase();
  if (!PLAIN_ASCII.test(folded)) {
    folded = folded.normalize('NFD').replace(COMBINING_MARKS, '').replace(FOLDABLE_LETTERS, (c) => LETTER_FOLDS[c]);
  }
  return capCodePoints(collapseWhitespace(folded), FOLDED_MAX_LENGTH);
}

/** The value as written for `:exact`, only capped. */
export function exactString(text: string): string {
  return capCodePoints(text, EXACT_MAX_LENGTH);
}

/** Runs of whitespace as one space, none at the ends (most values have nothing to change, so test first). */
export function collapseWhitespace(text: string): string {
  return UNTIDY_WHITESPACE.test(text) ? text.replace(WHITESPACE_RUNS, ' ').trim() : text;
}

/** The first `max` code points, never splitting a surrogate pair. */
export function capCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('');
}
