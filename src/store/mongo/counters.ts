import { MongoServerError, type Collection } from 'mongodb';
import type { CounterDoc } from './documents';

const IDS = 'ids';

/**
 * Reserves `rids` consecutive resource keys and `seqs` consecutive version numbers in one round trip, and returns
 * the first of each. Runs outside any transaction on purpose: a counter document written inside every transaction
 * would make all commits conflict with each other. A commit that fails leaves a gap, which is allowed; a value is
 * never handed out twice.
 */
export async function reserve(counters: Collection<CounterDoc>, rids: number, seqs: number): Promise<{ rid: number; seq: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const doc = await counters.findOneAndUpdate({ _id: IDS }, { $inc: { rid: rids, seq: seqs } }, { upsert: true, returnDocument: 'after' });
      return { rid: doc!.rid - rids + 1, seq: doc!.seq - seqs + 1 };
    } catch (err) {
      // Two first-ever reservations can both try to insert the counter; the loser retries as an update.
      if (attempt === 0 && err instanceof MongoServerError && err.code === 11000) continue;
      throw err;
    }
  }
}
