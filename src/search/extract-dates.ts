import { instantRange, type InstantRange } from '../fhir/instants';
import { asRecord, listProp, stamped, stringProp, type Target } from './extract-json';

/**
 * date parameters (https://hl7.org/fhir/R4/search.html#date): every value is the [low, high] instant range it
 * stands for. A date/dateTime/instant covers the whole of its precision (src/fhir/instants.ts); a Period runs from
 * the start of its start to the end of its end, an absent end being open; a Timing counts only by its outer limits
 * ("the specified scheduling details are ignored and only the outer limits matter"). Age, Duration and Range
 * values of date-typed choices (Condition.onset) are not points in time and give nothing. A string choice of a
 * date parameter (CarePlan.activity.detail.scheduledString) counts when it is written as a date.
 */

/** The open ends of a Period, as instants that sort before and after every real one. */
export const MIN_INSTANT = '0001-01-01T00:00:00.000Z';
export const MAX_INSTANT = '9999-12-31T23:59:59.999Z';

export function addDates(value: unknown, type: string, to: Target): void {
  let range: InstantRange | undefined;
  if (typeof value === 'string') range = instantRange(value);
  else if (type === 'Period') range = periodRange(value);
  else if (type === 'Timing') range = timingRange(value);
  if (range) to.entries.dates.push(stamped(to, { param: to.stamp.param, low: range.low, high: range.high }));
}

export function periodRange(value: unknown): InstantRange | undefined {
  const period = asRecord(value);
  if (!period) return undefined;
  const start = textRange(stringProp(period, 'start'));
  const end = textRange(stringProp(period, 'end'));
  if (!start && !end) return undefined;
  return { low: start?.low ?? MIN_INSTANT, high: end?.high ?? MAX_INSTANT };
}

/** The span from the earliest to the latest of Timing.event and Timing.repeat.boundsPeriod. */
function timingRange(value: unknown): InstantRange | undefined {
  const timing = asRecord(value);
  if (!timing) return undefined;
  const ranges = listProp(timing, 'event').map((e) => (typeof e === 'string' ? instantRange(e) : undefined));
  const repeat = asRecord(timing.repeat);
  if (repeat) ranges.push(periodRange(repeat.boundsPeriod));
  return span(ranges);
}

function span(ranges: Array<InstantRange | undefined>): InstantRange | undefined {
  let result: InstantRange | undefined;
  for (const r of ranges) {
    if (!r) continue;
    if (!result) result = { ...r };
    else {
      if (r.low < result.low) result.low = r.low;
      if (r.high > result.high) result.high = r.high;
    }
  }
  return result;
}

function textRange(text: string | undefined): InstantRange | undefined {
  return text === undefined ? undefined : instantRange(text);
}
