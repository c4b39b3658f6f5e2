import type { SearchParameter } from 'fhir/r4';
import type { Target, TypedValue } from './extract-json';
import type { PathEvaluator } from './extract-path';
import { compileForType, compileRelative, rootPosition, type Route } from './extract-expression';
import { normaliserFor, type Normaliser } from './extract-values';

/**
 * composite parameters (https://hl7.org/fhir/R4/search.html#composite). The composite's expression selects items
 * (the Observation itself, each Observation.component, each useContext); each component's expression is evaluated
 * on one item and normalised by the type of the SearchParameter its `definition` names. Entries carry the
 * component's position and the item's number (`tuple`), so a query can demand that all components match within
 * one item: code-value-quantity never pairs the Observation's code with a component's value.
 *
 * An item for which some component finds nothing can never satisfy a composite query, so it is not stored. Items
 * are numbered from 0 in the order the composite's expression yields them; numbers of items left out are skipped.
 */

interface ComponentPlan {
  evaluate: PathEvaluator;
  normalise: Normaliser;
}

export interface CompositePlan {
  items: PathEvaluator;
  components: ComponentPlan[];
  route: Route;
}

/**
 * R4 4.0.1 pairs DocumentReference-relatesto (a reference parameter) with the expression `code` and
 * DocumentReference-relation (a token parameter) with `target`, so neither component could ever be indexed. Each
 * definition is paired here with the element of its own type instead, keeping the component order.
 */
const COMPONENT_EXPRESSION_ERRATA: Readonly<Record<string, string>> = {
  'http://hl7.org/fhir/SearchParameter/DocumentReference-relationship|http://hl7.org/fhir/SearchParameter/DocumentReference-relatesto': 'target',
  'http://hl7.org/fhir/SearchParameter/DocumentReference-relationship|http://hl7.org/fhir/SearchParameter/DocumentReference-relation': 'code',
};

/** Compiles a composite for `type`, or returns why it cannot be extracted (or throws, see compileForType). */
export function compileComposite(
  sp: SearchParameter,
  type: string,
  definition: (url: string) => SearchParameter | undefined,
): CompositePlan | string {
  const items = compileForType(sp.expression ?? '', type);
  const components: ComponentPlan[] = [];
  for (const component of sp.component ?? []) {
    const target = definition(component.definition);
    const normalise = target && normaliserFor(target.type);
    if (!normalise) return `component ${component.definition} is not a known parameter of an indexable type`;
    const expression = COMPONENT_EXPRESSION_ERRATA[`${sp.url}|${component.definition}`] ?? component.expression;
    const compiled = compileRelative(expression, items.positions, rootPosition(type));
    components.push({ evaluate: compiled.evaluate, normalise });
  }
  if (components.length === 0) return 'the composite has no components';
  return { items: items.evaluate, components, route: items.route };
}

/** Adds the entries of every complete tuple of a composite to `to.entries`. */
export function runComposite(plan: CompositePlan, root: TypedValue, to: Target): void {
  const items = plan.items([root], root);
  if (items.length === 0) return;
  const target: Target = { ...to, stamp: { param: to.stamp.param } };
  for (let tuple = 0; tuple < items.length; tuple++) {
    const values = componentValues(plan, items[tuple], root);
    if (!values) continue;
    target.stamp.tuple = tuple;
    addTuple(plan, values, target);
  }
}

/**
 * The values each component finds in one item, or undefined as soon as one finds none. Most items miss some
 * component (an Observation has one value[x], so three of its four code-value-* composites are incomplete), and
 * finding that out before normalising anything saves building and discarding the entries of the others.
 */
function componentValues(plan: CompositePlan, item: TypedValue, root: TypedValue): TypedValue[][] | undefined {
  const values: TypedValue[][] = [];
  for (const component of plan.components) {
    const found = component.evaluate([item], root);
    if (found.length === 0) return undefined;
    values.push(found);
  }
  return values;
}

/**
 * Adds the entries of one item straight to the index, and takes them back out if one of its components gives
 * no entry after all (a value its type cannot index).
 */
function addTuple(plan: CompositePlan, values: TypedValue[][], to: Target): void {
  const lists = Object.values(to.entries) as unknown[][];
  const lengths = lists.map((list) => list.length);
  for (let component = 0; component < plan.components.length; component++) {
    const { normalise } = plan.components[component];
    const before = entryCount(lists);
    to.stamp.component = component;
    for (const v of values[component]) normalise(v.value, v.type, to);
    if (entryCount(lists) === before) {
      lists.forEach((list, i) => (list.length = lengths[i]));
      return;
    }
  }
}

function entryCount(lists: unknown[][]): number {
  let count = 0;
  for (const list of lists) count += list.length;
  return count;
}
