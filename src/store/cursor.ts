import { invalid } from '../fhir/errors';

/**
 * The opaque keyset cursor of a search page, for every adapter: the sort values and the default-order key of the
 * page's last row. A client only hands it back; a cursor of another query's shape (or made up) is a 400.
 */
export type CursorValue = string | number | null;

export function encodeCursor(values: CursorValue[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The values of a cursor made by encodeCursor for a query with `length` order keys; a 400 otherwise. */
export function decodeCursor(cursor: string, length: number): CursorValue[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === length && values.every(isCursorValue) && typeof values[length - 1] === 'number') {
      return values as CursorValue[];
    }
  } catch {
    // fall through to the error below
  }
  throw invalid('The paging cursor is not valid for this search', ['_cursor']);
}

function isCursorValue(v: unknown): v is CursorValue {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}
