import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * JSON Web Keys (RFC 7517) as node KeyObjects, and which signature algorithms each may verify. Only asymmetric
 * algorithms are accepted anywhere: a token signed with HMAC, or with none, never verifies.
 */
export type AsymmetricAlg = 'RS256' | 'RS384' | 'ES256' | 'ES384';

export const ACCESS_TOKEN_ALGS: readonly AsymmetricAlg[] = ['RS256', 'RS384', 'ES256', 'ES384'];
/** SMART Backend Services: client assertions are signed RS384 or ES384. */
export const CLIENT_ASSERTION_ALGS: readonly AsymmetricAlg[] = ['RS384', 'ES384'];

export interface Jwks {
  keys: JsonWebKey[];
}

export interface PublicJwk {
  kid?: string;
  key: KeyObject;
  /** The algorithm the JWK names, if it names one. */
  alg?: string;
}

/** The signature keys of a JWKS; encryption keys, symmetric keys and keys that fail to load are left out. */
export function publicKeysOf(jwks: unknown): PublicJwk[] {
  const keys = (jwks as Jwks | undefined)?.keys;
  if (!Array.isArray(keys)) throw new Error('a JWKS must be an object with a "keys" array');
  const out: PublicJwk[] = [];
  for (const jwk of keys) {
    if (!jwk || typeof jwk !== 'object' || (jwk.kty !== 'RSA' && jwk.kty !== 'EC') || jwk.use === 'enc') continue;
    try {
      // Only the public members are read, so a JWK that carries a private part still yields just its public key.
      const key = createPublicKey({ key: publicMembers(jwk), format: 'jwk' });
      out.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, key, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined });
    } catch {
      // An unusable key is ignored, as RFC 7517 §5 allows; the others still verify.
    }
  }
  return out;
}

function publicMembers(jwk: JsonWebKey): JsonWebKey {
  return jwk.kty === 'RSA' ? { kty: 'RSA', n: jwk.n, e: jwk.e } : { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
}

/** Whether `key` can verify `alg`: RSA for RS*, the matching curve for ES*. */
export function keyFitsAlg(key: KeyObject, alg: string): boolean {
  if (alg === 'RS256' || alg === 'RS384') return key.asymmetricKeyType === 'rsa';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (alg === 'ES256') return key.asymmetricKeyType === 'ec' && curve === 'prime256v1';
  if (alg === 'ES384') return key.asymmetricKeyType === 'ec' && curve === 'secp384r1';
  return false;
}

/** The keys of a set that may verify a token with this header: by `kid` when it names one, else every fitting key. */
export function candidateKeys(keys: readonly PublicJwk[], alg: string, kid: string | undefined): PublicJwk[] {
  return keys.filter((k) => (kid === undefined || k.kid === kid) && (k.alg === undefined || k.alg === alg) && keyFitsAlg(k.key, alg));
}

/** The public JWK of a key, as published. */
export function toPublicJwk(key: KeyObject): JsonWebKey {
  return publicMembers(key.export({ format: 'jwk' }));
}

/** RFC 7638 thumbprint: a key id that names the key itself. */
export function thumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: 'RSA', n: jwk.n } : { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
