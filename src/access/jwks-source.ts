import fs from 'node:fs/promises';
import { candidateKeys, publicKeysOf, type PublicJwk } from './jwk';

/**
 * A trusted party's signature keys: a JWKS given inline, in a file, or at an http(s) URL. Keys are cached and picked
 * by `kid`; a token naming a kid not in the cache makes the source load the set again (key rotation), but not more
 * often than `minRefreshMs`, so a flood of tokens with made-up kids cannot turn into a flood of fetches.
 */
export interface JwksSourceOptions {
  minRefreshMs?: number;
  /** Milliseconds since the epoch; tests pass their own clock. */
  now?: () => number;
  fetchTimeoutMs?: number;
}

const MAX_JWKS_BYTES = 256 * 1024;

export class JwksSource {
  private keys: PublicJwk[] = [];
  private loadedAt = -Infinity;
  private pending?: Promise<void>;
  private readonly minRefreshMs: number;
  private readonly now: () => number;
  private readonly fetchTimeoutMs: number;

  /** `location`: a JWKS object, a file path, or an http(s) URL. */
  constructor(private readonly location: string | object, options: JwksSourceOptions = {}) {
    this.minRefreshMs = options.minRefreshMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
  }

  /** The keys that may verify a token signed `alg` with header `kid`; loads or reloads the set when none fits. */
  async keysFor(alg: string, kid: string | undefined): Promise<PublicJwk[]> {
    let found = candidateKeys(this.keys, alg, kid);
    if (found.length === 0 && this.now() - this.loadedAt >= this.minRefreshMs) {
      await this.refresh();
      found = candidateKeys(this.keys, alg, kid);
    }
    return found;
  }

  /** Loads the set now; concurrent callers share one load. A failed load keeps the keys of the last good one. */
  refresh(): Promise<void> {
    this.pending ??= this.load()
      .then((keys) => void (this.keys = keys))
      .finally(() => {
        this.loadedAt = this.now();
        this.pending = undefined;
      });
    return this.pending.catch(() => undefined);
  }

  private async load(): Promise<PublicJwk[]> {
    if (typeof this.location === 'object') return publicKeysOf(this.location);
    const text = /^https?:\/\//.test(this.location) ? await this.fetchText(this.location) : await fs.readFile(this.location, 'utf8');
    return publicKeysOf(JSON.parse(text));
  }

  private async fetchText(url: string): Promise<string> {
    const res = await fetch(url, { signal: AbortSignal.timeout(this.fetchTimeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
    if (!res.ok) throw new Error(`JWKS fetch answered ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error('JWKS too large');
    return text;
  }
}
