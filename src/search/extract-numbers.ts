import type { NumberEntry, QuantityEntry } from './index-model';
import { isOfType } from './extract-types';
import { asRecord, stamped, stringProp, type Target } from './extract-json';

/**
 * number and quantity parameters (https://hl7.org/fhir/R4/search.html#number, #quantity). A value stands for the
 * range its written precision implies: 100 is [99.5, 100.5], 1.5 is [1.45, 1.55]. JSON parsing has already dropped
 * trailing zeros (100.0 arrives as 100), so the precision is read from the number's shortest text form.
 *
 * A Range (Condition.onset as Range, UsageContext.value as Range, RiskAssessment probability) is one entry whose
 * [low, high] runs from the low end of Range.low to the high end of Range.high, an absent end being open, and whose
 * `value` is Range.low (else Range.high); the comparators' range semantics then apply to it directly. Money is a
 * quantity in the ISO 4217 system with the currency as code. SampledData (a series, not a value) gives nothing.
 */

/** The open ends of a Range: finite, so that every store and JSON can hold them. */
export const MIN_NUMBER = -Number.MAX_VALUE;
export const MAX_NUMBER = Number.MAX_VALUE;

const ISO_4217 = 'urn:iso:std:iso:4217';

export function addNumbers(value: unknown, type: string, to: Target): void {
  let entry: NumberEntry | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) entry = measured(to.stamp.param, value);
  else if (type === 'Range') entry = rangeEntry(to.stamp.param, asRecord(value));
  if (entry) to.entries.numbers.push(stamped(to, entry));
}

export function addQuantities(value: unknown, type: string, to: Target): void {
  const record = asRecord(value);
  if (!record) return;
  let entry: QuantityEntry | undefined;
  if (type === 'Money') entry = money(to.stamp.param, record);
  else if (type === 'Range') entry = range(to.stamp.param, record);
  else if (isOfType(type, 'Quantity')) entry = quantity(to.stamp.param, record);
  if (entry) to.entries.quantities.push(stamped(to, entry));
}

function quantity(param: string, q: Record<string, unknown>): QuantityEntry | undefined {
  const value = finite(q.value);
  if (value === undefined) return undefined;
  const entry = measured(param, value) as QuantityEntry;
  return withUnits(entry, q);
}

/** https://hl7.org/fhir/R4/datatypes.html#Money */
function money(param: string, m: Record<string, unknown>): QuantityEntry | undefined {
  const value = finite(m.value);
  if (value === undefined) return undefined;
  const currency = stringProp(m, 'currency') ?? '';
  const entry = measured(param, value) as QuantityEntry;
  entry.system = currency ? ISO_4217 : '';
  entry.code = currency;
  entry.unit = currency;
  return entry;
}

function range(param: string, r: Record<string, unknown>): QuantityEntry | undefined {
  const entry = rangeEntry(param, r) as QuantityEntry | undefined;
  return entry && withUnits(entry, asRecord(r.low) ?? asRecord(r.high) ?? {});
}

function rangeEntry(param: string, r: Record<string, unknown> | undefined): NumberEntry | undefined {
  const low = finite(asRecord(r?.low)?.value);
  const high = finite(asRecord(r?.high)?.value);
  if (low === undefined && high === undefined) return undefined;
  return {
    param,
    value: (low ?? high) as number,
    low: low === undefined ? MIN_NUMBER : measured(param, low).low,
    high: high === undefined ? MAX_NUMBER : measured(param, high).high,
  };
}

function withUnits(entry: QuantityEntry, q: Record<string, unknown>): QuantityEntry {
  entry.system = stringProp(q, 'system') ?? '';
  entry.code = stringProp(q, 'code') ?? '';
  entry.unit = stringProp(q, 'unit') ?? '';
  return entry;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The value and the half-unit-of-its-last-digit range around it (1e-7 has 7 decimals, 1.5e3 has none). */
export function measured(param: string, value: number): NumberEntry {
  const { low, high } = precisionRange(value);
  return { param, value, low, high };
}

export function precisionRange(value: number): { low: number; high: number } {
  const text = String(value);
  const decimals = Number.isInteger(value) && !text.includes('e') ? 0 : decimalsOf(text);
  const half = 0.5 * 10 ** -decimals;
  return { low: roundTo(value - half, decimals + 1), high: roundTo(value + half, decimals + 1) };
}

function decimalsOf(text: string): number {
  const [mantissa, exponent] = text.toLowerCase().split('e');
  const point = mantissa.indexOf('.');
  return (point < 0 ? 0 : mantissa.length - point - 1) - Number(exponent ?? 0);
}

/** Removes binary noise (1.5 - 0.05 = 1.4500000000000002) where toFixed can express the digits. */
function roundTo(x: number, decimals: number): number {
  return decimals >= 0 && decimals <= 100 ? Number(x.toFixed(decimals)) : x;
}
