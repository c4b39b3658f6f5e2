import type { CompartmentFilter } from '../../search/model';
import type { FilterSql, SqlBuilder, Subject } from './search-sql-builder';

/**
 * Compartment membership (https://hl7.org/fhir/R4/compartmentdefinition.html): the resources whose compartment
 * parameters reference the compartment's owner, found from the owner's side through idx_reference's
 * (target_id, target_type, type, param, rid) index, plus the owner itself.
 */
export function compartmentSql(f: CompartmentFilter, subject: Subject, b: SqlBuilder): FilterSql {
  const x = b.alias('x');
  const c = b.alias('c');
  const arms = Object.entries(f.paramsByType).map(([type, params]) => `(${x}.type = ${b.bind(type)} AND ${x}.param IN (${b.list(params)}))`);
  const owner = `SELECT ${c}.rid FROM resources ${c} WHERE ${c}.type = ${b.bind(f.compartmentType)} AND ${c}.id = ${b.bind(f.id)}`;
  if (arms.length === 0) return { sql: `${subject.alias}.rid IN (${owner})`, drives: 'rid' };
  const members = `SELECT ${x}.rid FROM idx_reference ${x} WHERE ${x}.target_type = ${b.bind(f.compartmentType)} AND ${x}.target_id = ${b.bind(f.id)} AND (${arms.join(' OR ')})`;
  return { sql: `${subject.alias}.rid IN (${members} UNION ALL ${owner})`, drives: 'rid' };
}
