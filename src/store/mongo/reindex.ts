import type { AnyBulkWriteOperation, Collection, Filter } from 'mongodb';
import type { FhirResource } from 'fhir/r4';
import { parseFhirJson } from '../../fhir/json';
import { SearchParameters, type CustomParameter } from '../../search/parameters';
import type { ResourceDoc, SearchFields, SettingDoc } from './documents';

/** Where the custom search parameters in force are kept. */
const CUSTOM_PARAMETERS = 'search.custom-parameters';

/**
 * Online re-indexing: the search fields of every current resource of some types are computed again, a batch at a
 * time in `rid` order. Each update applies only if the resource is still the version read: a newer version was
 * written after the caller switched what writes index with, so it already has the new fields.
 */
export async function rebuildSearchFields(
  resources: Collection<ResourceDoc>,
  fields: (resource: FhirResource) => SearchFields,
  scope: { types?: readonly string[]; batchSize: number },
): Promise<number> {
  const size = Math.max(1, Math.floor(scope.batchSize));
  let after = 0;
  let count = 0;
  for (;;) {
    const filter: Filter<ResourceDoc> = { rid: { $gt: after }, deleted: false };
    if (scope.types) filter.type = { $in: [...scope.types] };
    const docs = await resources.find(filter, { projection: { _id: 1, rid: 1, versionId: 1, json: 1 } }).sort({ rid: 1 }).limit(size).toArray();
    if (docs.length === 0) return count;
    const ops: AnyBulkWriteOperation<ResourceDoc>[] = docs.map((d) => ({
      updateOne: { filter: { _id: d._id, versionId: d.versionId }, update: { $set: { ix: fields(parseFhirJson(d.json!) as FhirResource) } } },
    }));
    await resources.bulkWrite(ops, { ordered: false });
    after = docs[docs.length - 1].rid;
    count += docs.length;
  }
}

export async function loadParameters(settings: Collection<SettingDoc>): Promise<SearchParameters> {
  const saved = await settings.findOne({ _id: CUSTOM_PARAMETERS });
  const custom = saved ? (JSON.parse(saved.value) as CustomParameter[]) : [];
  return custom.length > 0 ? new SearchParameters(custom) : SearchParameters.official();
}

export async function saveParameters(settings: Collection<SettingDoc>, parameters: SearchParameters): Promise<void> {
  const value = JSON.stringify(parameters.customParameters());
  await settings.updateOne({ _id: CUSTOM_PARAMETERS }, { $set: { value } }, { upsert: true });
}
