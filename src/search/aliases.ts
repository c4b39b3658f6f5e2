/**
 * Search parameters whose definition is the union of two others of the same type, so that storing them would store
 * the same values twice. R4 defines Observation's combo-* parameters this way (`combo-code` is
 * `Observation.code | Observation.component.code`, i.e. `code` ∪ `component-code`); Observation is the most frequent
 * resource, and its combo entries were a fifth of all index rows. They are not indexed: a search on one is a search
 * on its parts. https://hl7.org/fhir/R4/observation.html#search
 */
const UNIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  Observation: {
    'combo-code': ['code', 'component-code'],
    'combo-data-absent-reason': ['data-absent-reason', 'component-data-absent-reason'],
    'combo-value-concept': ['value-concept', 'component-value-concept'],
    'combo-value-quantity': ['value-quantity', 'component-value-quantity'],
    'combo-code-value-concept': ['code-value-concept', 'component-code-value-concept'],
    'combo-code-value-quantity': ['code-value-quantity', 'component-code-value-quantity'],
  },
};

/** True when entries of `param` on `type` are not stored, because its parts' entries are. */
export function isUnionParam(type: string, param: string): boolean {
  return UNIONS[type]?.[param] !== undefined;
}

/**
 * The stored parameters a search on `param` reads, for resources of `types` (empty: any type). A union parameter
 * exists on one type only, so naming it implies that type's parts.
 */
export function storedParams(types: readonly string[], param: string): readonly string[] {
  for (const [type, unions] of Object.entries(UNIONS)) {
    if ((types.length === 0 || types.includes(type)) && unions[param]) return unions[param];
  }
  return [param];
}
