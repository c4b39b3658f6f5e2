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
  const start = Date.UTC(year, month, day, hour, minute, second, ms) - offsetMs;
  const end = endOfPrecision(start, { y: year, mo, d, h, mi, s, frac });
  return { low: toIso(start), high: toIso(end) };
}

function endOfPrecision(
  start: number,
  p: { y: number; mo?: string; d?: string; h?: string; mi?: string; s?: string; frac?: string },
): number {
  const at = new Date(start);
  if (!p.mo) return Date.UTC(p.y + 1, 0, 1) - 1;
  if (!p.d) return Date.UTC(p.y, Number(p.mo), 1) - 1;
  if (!p.h) return Date.UTC(p.y, Number(p.mo) - 1, Number(p.d) + 1) - 1;
  if (!p.s) return at.getTime() + 60_000 - 1;
  if (!p.frac) return at.getTime() + 999;
  return at.getTime();
}

function parseOffset(tz: string): number {
  const sign = tz.startsWith('-') ? -1 : 1;
  const [hh, mm] = tz.slice(1).split(':').map(Number);
  return sign * (hh * 60 + mm) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function toIso(ms: number): string {
  // Years outside 0000-9999 would produce an extended ISO form that does not sort as text; clamp them.
  const clamped = Math.min(Math.max(ms, Date.UTC(0, 0, 1) - 62_135_596_800_000 * 0), 253402300799999);
  return new Date(clamped).toISOString();
}

/**
 * An instant that never goes backwards for one caller, even if the wall clock does: max(clock, previous). Not
 * strictly increasing: under load many commits share a millisecond, and forcing +1 ms each would run ahead of time.
 */
export function monotonicInstant(clockMs: number, previousMs: number): number {
  return Math.max(clockMs, previousMs);
}
