import type { CursorValue } from '../cursor';
import type { SqlBuilder } from './search-sql-builder';
import type { OrderKey } from './search-sql-sort';

/**
 * Keyset paging: the cursor holds the sort values and rid of the last row of a page, and the next page asks for
 * the rows strictly after it in the query's order. Unlike an OFFSET, this costs nothing per skipped row and stays
 * stable while resources are written between pages: a resource whose sort values did not change is seen exactly
 * once; one written meanwhile shows up if it sorts after the cursor (and an update that moves a resource past the
 * cursor shows it again). https://hl7.org/fhir/R4/http.html#paging leaves the mechanism to the server.
 */

export { decodeCursor, encodeCursor, type CursorValue } from '../cursor';

/**
 * Rows after `last` in the order of `keys`: (k0 after v0) OR (k0 = v0 AND k1 after v1) OR …, written out by hand
 * because directions differ per key and a missing value (NULL) sorts last whatever the direction.
 */
export function keysetSql(keys: OrderKey[], last: CursorValue[], b: SqlBuilder): string {
  const values = last.map((v) => (v === null ? null : b.bind(v)));
  const branches: string[] = [];
  keys.forEach((key, i) => {
    const after = afterSql(key, values[i]);
    if (after === undefined) return;
    const equal = keys.slice(0, i).map((k, j) => equalSql(k, values[j]));
    branches.push([...equal, after].join(' AND '));
  });
  return branches.length === 0 ? '0' : `(${branches.map((c) => `(${c})`).join(' OR ')})`;
}

function equalSql(key: OrderKey, placeholder: string | null): string {
  return placeholder === null ? `${key.expr} IS NULL` : `${key.expr} = ${placeholder}`;
}

/** Strictly after a value; nothing is after a missing value, since missing values come last. */
function afterSql(key: OrderKey, placeholder: string | null): string | undefined {
  if (placeholder === null) return undefined;
  const test = `${key.expr} ${key.descending ? '<' : '>'} ${placeholder}`;
  return key.nullable ? `(${test} OR ${key.expr} IS NULL)` : test;
}
