import type { Collection, Document, IndexDescription } from 'mongodb';

/**
 * Creates the indexes of `wanted` that `collection` does not have yet (by name), one at a time, so that it can run
 * at every start. Not one createIndexes call with all of them: FerretDB 1.x closes the connection when such a call
 * names indexes that already exist, and MongoDB gains nothing from it either.
 */
export async function ensureIndexes<T extends Document>(collection: Collection<T>, wanted: readonly IndexDescription[]): Promise<void> {
  const existing = new Set(await existingNames(collection));
  for (const index of wanted) {
    if (!existing.has(index.name!)) await collection.createIndexes([index]);
  }
}

async function existingNames<T extends Document>(collection: Collection<T>): Promise<string[]> {
  try {
    return (await collection.listIndexes().toArray()).map((i) => String(i.name));
  } catch (err) {
    // A collection that does not exist yet has no indexes (NamespaceNotFound).
    if ((err as { code?: number }).code === 26) return [];
    throw err;
  }
}
