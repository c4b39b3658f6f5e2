import type { FhirResource } from 'fhir/r4';
import { patientCompartment } from '../../fhir/definitions';
import type { IndexEntries } from '../../search/index-model';

/**
 * The shard-key value that keeps a patient's record together (docs/store-mongo.md, "Sharding"): a Patient's own id,
 * the Patient a resource of the Patient compartment refers to through its compartment parameters
 * (https://hl7.org/fhir/R4/compartmentdefinition-patient.html), and otherwise the resource's own key, which spreads
 * resources that belong to no patient. When a resource names several patients, the first compartment parameter that
 * names one decides, so the value is stable across versions that do not change those references.
 */
export function patientKey(resource: FhirResource, entries: IndexEntries): string {
  if (resource.resourceType === 'Patient') return `Patient/${resource.id}`;
  for (const param of patientCompartment().get(resource.resourceType) ?? []) {
    const ref = entries.references.find((e) => e.param === param && e.targetType === 'Patient' && e.targetId && e.component === undefined);
    if (ref) return `Patient/${ref.targetId}`;
  }
  return `${resource.resourceType}/${resource.id}`;
}
