/**
 * FHIR date, dateTime and instant values as instant ranges. A value stands for the whole period its precision
 * implies (`2024` is all of 2024), which is how search compares them: https://hl7.org/fhir/R4/search.html#date
 * Ranges are ISO strings in UTC with milliseconds, so they compare correctly as strings.
 */

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface InstantRange {
  low: string;
  high: string;
}

/** The [low, high] range of a FHIR date/dateTime/instant, or undefined when the text is not one. */
export function instantRange(text: string): InstantRange | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (h !== undefined && tz === undefined && s === undefined && mi === undefined) return undefined;
  const offsetMs = tz && tz !== 'Z' ? parseOffset(tz) : 0;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (mo && (month < 0 || month > 11)) return undefined;
  if (d && (day < 1 || day > daysInMonth(year, month))) return undefined;
  const hour = h ? Number(h) : 0;
  const minute = mi ? Number(mi) : 0;
  const second = s ? Number(s) : 0;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const start = utc(year, month, day, hour, minute, second, ms) - offsetMs;
  const end = endOfPrecision(start, { y: year, mo, d, h, mi, s, frac });
  return { low: toIso(start), high: toIso(end) };
}

function endOfPrecision(
  start: number,
  p: { y: number; mo?: string; d?: string; h?: string; mi?: string; s?: string; frac?: string },
): number {
  const at = new Date(start);
  if (!p.mo) return utc(p.y + 1, 0, 1) - 1;
  if (!p.d) return utc(p.y, Number(p.mo), 1) - 1;
  if (!p.h) return utc(p.y, Number(p.mo) - 1, Number(p.d) + 1) - 1;
  if (!p.s) return at.getTime() + 60_000 - 1;
  if (!p.frac) return at.getTime() + 999;
  return at.getTime();
}

function parseOffset(tz: string): number {
  const sign = tz.startsWith('-') ? -1 : 1;
  const [hh, mm] = tz.slice(1).split(':').map(Number);
  return sign * (hh * 60 + mm) * 60_000;
}

/** Date.UTC without its two-digit-year rule (it reads years 0-99 as 1900-1999). */
function utc(year: number, month: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(h, mi, s, ms);
  return d.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month + 1, 0)).getUTCDate();
}

const FIRST_INSTANT = -62_135_596_800_000; // 0001-01-01T00:00:00.000Z
const LAST_INSTANT = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

function toIso(ms: number): string {
  // Outside years 0001-9999 toISOString gives an extended form that does not sort as text; clamp to that span.
  return new Date(Math.min(Math.max(ms, FIRST_INSTANT), LAST_INSTANT)).toISOString();
}

/**
 * An instant that never goes backwards for one caller, even if the wall clock does: max(clock, previous). Not
 * strictly increasing: under load many commits share a millisecond, and forcing +1 ms each would run ahead of time.
 */
export function monotonicInstant(clockMs: number, previousMs: number): number {
  return Math.max(clockMs, previousMs);
}
