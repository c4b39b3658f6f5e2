import fs from 'node:fs';
import { splitScopes, type Role } from './access-context';
import { publicKeysOf } from './jwk';
import { JwksSource } from './jwks-source';

/**
 * The clients allowed to use the token endpoint, from the `AUTH_CLIENTS` JSON file (docs/security.md). Field names
 * follow OAuth dynamic client registration (RFC 7591): `client_id`, `jwks` or `jwks_uri`, `scope`; plus `role`,
 * `research_permit` and `purpose_of_use`. The file is read again when it changes (`region-fhir client add` writes
 * it while the server runs), checked at most once a second.
 */
export interface ClientRegistration {
  client_id: string;
  jwks?: { keys: unknown[] };
  jwks_uri?: string;
  /** The scopes the client may be granted, space-separated. */
  scope: string;
  role: Role;
  research_permit?: string;
  /** A v3-ActReason code; by role when absent: research HRESCH, provider TREAT, sync HOPERAT. */
  purpose_of_use?: string;
}

export interface ClientFile {
  clients: ClientRegistration[];
}

export interface RegisteredClient {
  registration: ClientRegistration;
  purposeOfUse: string;
  keys: JwksSource;
}

const ROLES: readonly Role[] = ['provider', 'research', 'sync'];
const DEFAULT_PURPOSE: Record<Role, string> = { research: 'HRESCH', provider: 'TREAT', sync: 'HOPERAT' };
const CLIENT_ID = /^[A-Za-z0-9._~:-]{1,128}$/;

/** Checks a clients file's contents; throws with what is wrong and in which client. */
export function parseClientFile(json: unknown): ClientFile {
  const list = Array.isArray(json) ? json : (json as Partial<ClientFile> | null)?.clients;
  if (!Array.isArray(list)) throw new Error('the clients file must be {"clients": [...]}');
  const seen = new Set<string>();
  for (const [i, c] of list.entries()) {
    const where = `clients[${i}]`;
    checkClient(c as ClientRegistration, where);
    if (seen.has(c.client_id)) throw new Error(`${where}: client_id '${c.client_id}' appears twice`);
    seen.add(c.client_id);
  }
  return { clients: list as ClientRegistration[] };
}

function checkClient(c: ClientRegistration, where: string): void {
  if (!c || typeof c !== 'object') throw new Error(`${where}: not an object`);
  if (typeof c.client_id !== 'string' || !CLIENT_ID.test(c.client_id)) throw new Error(`${where}: client_id must be 1-128 of [A-Za-z0-9._~:-]`);
  if (!!c.jwks === !!c.jwks_uri) throw new Error(`${where}: give exactly one of jwks and jwks_uri`);
  if (c.jwks && publicKeysOf(c.jwks).length === 0) throw new Error(`${where}: jwks holds no usable RSA or EC signature key`);
  if (c.jwks?.keys.some((k) => k && typeof k === 'object' && 'd' in k)) throw new Error(`${where}: jwks holds a private key; register the public key only`);
  if (c.jwks_uri !== undefined && (typeof c.jwks_uri !== 'string' || !/^https?:\/\/\S+$/.test(c.jwks_uri))) throw new Error(`${where}: jwks_uri must be an http(s) URL`);
  if (typeof c.scope !== 'string') throw new Error(`${where}: scope must be a space-separated string`);
  const scopes = splitScopes(c.scope);
  if (scopes.invalid.length > 0) throw new Error(`${where}: not SMART scopes: ${scopes.invalid.join(' ')}`);
  if (!ROLES.includes(c.role)) throw new Error(`${where}: role must be one of ${ROLES.join(', ')}`);
  if (c.role === 'research' && (typeof c.research_permit !== 'string' || !c.research_permit)) throw new Error(`${where}: a research client needs research_permit`);
  if (c.purpose_of_use !== undefined && (typeof c.purpose_of_use !== 'string' || !/^[A-Z]{2,16}$/.test(c.purpose_of_use))) {
    throw new Error(`${where}: purpose_of_use must be a v3-ActReason code such as HRESCH or TREAT`);
  }
}

export function readClientFile(file: string): ClientFile {
  return parseClientFile(JSON.parse(fs.readFileSync(file, 'utf8')));
}

export interface ClientRegistryOptions {
  now?: () => number;
  /** Passed to each client's key source (how often an unknown kid may reload a jwks_uri). */
  minKeyRefreshMs?: number;
}

export class ClientRegistry {
  private clients = new Map<string, RegisteredClient>();
  private version = '';
  private checkedAt = -Infinity;
  private readonly now: () => number;

  /** Reads the file now, so a bad file stops the server at start rather than at the first token request. */
  constructor(private readonly file: string | undefined, private readonly options: ClientRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
    if (file) this.reload(true);
  }

  get(clientId: string): RegisteredClient | undefined {
    if (this.file && this.now() - this.checkedAt >= 1000) this.reload(false);
    return this.clients.get(clientId);
  }

  /** A changed file that fails its checks leaves the last good registrations in place. */
  private reload(strict: boolean): void {
    this.checkedAt = this.now();
    try {
      const st = fs.statSync(this.file as string);
      const version = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (version === this.version) return;
      const parsed = readClientFile(this.file as string);
      this.version = version;
      this.clients = new Map(parsed.clients.map((c) => [c.client_id, this.toClient(c)]));
    } catch (err) {
      if (strict) throw new Error(`AUTH_CLIENTS ${this.file}: ${(err as Error).message}`);
    }
  }

  private toClient(registration: ClientRegistration): RegisteredClient {
    const previous = this.clients.get(registration.client_id);
    const sameKeys = previous && JSON.stringify(previous.registration.jwks ?? previous.registration.jwks_uri)
      === JSON.stringify(registration.jwks ?? registration.jwks_uri);
    return {
      registration,
      purposeOfUse: registration.purpose_of_use ?? DEFAULT_PURPOSE[registration.role],
      keys: sameKeys ? previous.keys : new JwksSource(registration.jwks ?? (registration.jwks_uri as string), {
        now: this.options.now, minRefreshMs: this.options.minKeyRefreshMs,
      }),
    };
  }
}
