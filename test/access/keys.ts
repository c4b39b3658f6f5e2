import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** Key pairs and signed JWTs made in the test, for the token and client-assertion tests. */
export interface TestKey {
  kid: string;
  alg: 'RS256' | 'RS384' | 'ES256' | 'ES384';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK, with kid and alg. */
  jwk: Record<string, unknown>;
}

export function makeKey(alg: TestKey['alg'], kid: string = randomUUID()): TestKey {
  const pair = alg.startsWith('RS')
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' });
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

export function jwksOf(...keys: TestKey[]): { keys: Array<Record<string, unknown>> } {
  return { keys: keys.map((k) => k.jwk) };
}

export function signWith(key: TestKey, payload: Record<string, unknown>, options: jwt.SignOptions = {}): string {
  return jwt.sign(payload, key.privateKey, { algorithm: key.alg, keyid: key.kid, ...options });
}

/** A client assertion as SMART Backend Services asks for it. */
export function clientAssertion(key: TestKey, clientId: string, tokenEndpoint: string, extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return signWith(key, { iss: clientId, sub: clientId, aud: tokenEndpoint, exp: now + 240, jti: randomUUID(), ...extra });
}

export const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
