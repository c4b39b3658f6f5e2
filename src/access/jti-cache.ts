/**
 * The client-assertion ids (`jti`) seen while their assertions are still valid, so none is accepted twice
 * (RFC 7523 §3, SMART Backend Services). An entry is forgotten once its assertion has expired, which bounds the set
 * by the assertions of the last five minutes; past `capacity` the set refuses new ids rather than forget live ones.
 */
export class JtiCache {
  /** key → expiry in ms; a Map iterates in insertion order, which sweeping uses. */
  private readonly seen = new Map<string, number>();
  private sweptAt = 0;

  constructor(private readonly capacity = 100_000, private readonly now: () => number = Date.now) {}

  /** Records the id; `replay` if it was seen before, `full` if there is no room for it now. */
  remember(clientId: string, jti: string, expiresAtMs: number): 'ok' | 'replay' | 'full' {
    const key = `${clientId}\u0000${jti}`;
    const t = this.now();
    const known = this.seen.get(key);
    if (known !== undefined && known > t) return 'replay';
    if (this.seen.size >= this.capacity || t - this.sweptAt > 60_000) this.sweep(t);
    if (this.seen.size >= this.capacity) return 'full';
    this.seen.delete(key);
    this.seen.set(key, expiresAtMs);
    return 'ok';
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(t: number): void {
    this.sweptAt = t;
    for (const [key, exp] of this.seen) if (exp <= t) this.seen.delete(key);
  }
}
