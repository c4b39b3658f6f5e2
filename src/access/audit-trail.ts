import type { AuditEvent } from 'fhir/r4';
import type { Store } from '../store/types';

/**
 * Writes AuditEvents in batches: the events recorded during one turn of the event loop are committed together,
 * and each caller is answered only once its event is stored, so a response never leaves before its record does
 * (EHDS Art. 9: patients can see who accessed their record). Callers wait for their own record, so what is pending
 * is bounded by the requests in flight: the queue applies back-pressure instead of growing.
 */
export class AuditTrail {
  private pending: Array<{ event: AuditEvent; resolve: () => void; reject: (err: unknown) => void }> = [];

  /** `store`: the app's own, not a caller's guarded view: audit records are written whoever the caller is. */
  constructor(private readonly store: Store) {}

  record(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  /** Events waiting to be written (for metrics and tests). */
  get queued(): number {
    return this.pending.length;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      await this.store.commit(batch.map(({ event }) => ({ kind: 'create', resource: event })));
      for (const item of batch) item.resolve();
    } catch (err) {
      for (const item of batch) item.reject(err);
    }
  }
}
