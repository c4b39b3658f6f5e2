import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { thumbprint, toPublicJwk, type AsymmetricAlg } from './jwk';

/**
 * The key the server signs its access tokens with. From `AUTH_SIGNING_KEY` (PEM text or a PEM file path), or else
 * generated once and kept in `auth-signing-key.pem` beside the SQLite database (`./data/` for MongoDB), readable by
 * the owner only; an in-memory store gets a key that lives as long as the process.
 */
export interface SigningKey {
  kid: string;
  alg: AsymmetricAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JsonWebKey;
}

export const GENERATED_KEY_FILE = 'auth-signing-key.pem';

export function loadSigningKey(configured: string | undefined, storeUrl: string): SigningKey {
  if (configured) return fromPem(configured.includes('-----BEGIN') ? configured : fs.readFileSync(configured, 'utf8'));
  const file = generatedKeyPath(storeUrl);
  return fromPem(file ? readOrCreate(file) : newPem());
}

/** Where a generated key is kept for this store, or undefined when it is kept in memory only. */
export function generatedKeyPath(storeUrl: string): string | undefined {
  if (storeUrl === 'sqlite::memory:') return undefined;
  const dir = storeUrl.startsWith('sqlite:') ? path.dirname(path.resolve(storeUrl.slice('sqlite:'.length))) : path.resolve('data');
  return path.join(dir, GENERATED_KEY_FILE);
}

function readOrCreate(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const pem = newPem();
  try {
    // `wx`: when two servers start at once, the second reads the first one's key rather than replacing it.
    fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8');
    throw err;
  }
}

/** RSA: its signatures verify in a few tens of microseconds, which matters when every request carries a token. */
function newPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function fromPem(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const alg = algOf(publicKey);
  const publicJwk = toPublicJwk(publicKey);
  const kid = thumbprint(publicJwk);
  return { kid, alg, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } as JsonWebKey };
}

function algOf(key: KeyObject): AsymmetricAlg {
  if (key.asymmetricKeyType === 'rsa') return 'RS384';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve === 'secp384r1') return 'ES384';
  if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1') return 'ES256';
  throw new Error('AUTH_SIGNING_KEY must be an RSA, EC P-256 or EC P-384 private key');
}
