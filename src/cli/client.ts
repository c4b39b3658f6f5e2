import fs from 'node:fs';
import path from 'node:path';
import type { Role } from '../access/access-context';
import { parseClientFile, readClientFile, type ClientFile, type ClientRegistration } from '../access/client-registry';

/**
 * `region-fhir client add|list|remove`: keeps the registered clients file (AUTH_CLIENTS, or --clients FILE) that the
 * token endpoint reads. A running server picks up the change within a second. The file is replaced atomically,
 * so the server never reads half of it.
 */
export const CLIENT_USAGE = `  client     register SMART Backend Services clients in the AUTH_CLIENTS file (or --clients FILE):
             add --id ID (--jwks FILE | --jwks-uri URL) --scopes 'system/*.rs ...' --role provider|research|sync
                 [--permit RESEARCH_PERMIT_ID] [--purpose V3_ACT_REASON] [--replace]
             list | remove --id ID`;

const VALUE_FLAGS = new Set(['id', 'jwks', 'jwks-uri', 'scopes', 'role', 'permit', 'purpose', 'clients']);

export async function clientCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  try {
    const [action, ...rest] = args;
    const flags = parseClientFlags(rest);
    const file = flags.clients ?? env.AUTH_CLIENTS;
    if (!file) throw new Error('name the clients file with --clients FILE or AUTH_CLIENTS');
    if (action === 'add') return add(file, flags);
    if (action === 'remove') return remove(file, flags);
    if (action === 'list') return list(file);
    throw new Error(`unknown action '${action ?? ''}'`);
  } catch (err) {
    process.stderr.write(`region-fhir client: ${(err as Error).message}\n${CLIENT_USAGE}\n`);
    return 2;
  }
}

function add(file: string, flags: Record<string, string>): number {
  const registration = registrationOf(flags);
  const current = readOrEmpty(file);
  const exists = current.clients.some((c) => c.client_id === registration.client_id);
  if (exists && flags.replace === undefined) throw new Error(`client '${registration.client_id}' is already registered (use --replace)`);
  const clients = [...current.clients.filter((c) => c.client_id !== registration.client_id), registration];
  writeAtomically(file, parseClientFile({ clients }));
  process.stdout.write(`${exists ? 'replaced' : 'registered'} client ${registration.client_id} (role ${registration.role}, scopes ${registration.scope})\n`);
  return 0;
}

function remove(file: string, flags: Record<string, string>): number {
  const id = required(flags, 'id');
  const current = readOrEmpty(file);
  const clients = current.clients.filter((c) => c.client_id !== id);
  if (clients.length === current.clients.length) throw new Error(`client '${id}' is not registered`);
  writeAtomically(file, { clients });
  process.stdout.write(`removed client ${id}\n`);
  return 0;
}

function list(file: string): number {
  for (const c of readOrEmpty(file).clients) {
    process.stdout.write(`${c.client_id}\t${c.role}\t${c.scope}${c.research_permit ? `\tpermit ${c.research_permit}` : ''}\n`);
  }
  return 0;
}

/** A registration from the flags; parseClientFile checks it like any other entry of the file. */
export function registrationOf(flags: Record<string, string>): ClientRegistration {
  if (!!flags.jwks === !!flags['jwks-uri']) throw new Error('give exactly one of --jwks FILE and --jwks-uri URL');
  const registration: ClientRegistration = {
    client_id: required(flags, 'id'),
    scope: required(flags, 'scopes'),
    role: required(flags, 'role') as Role,
  };
  if (flags.jwks) registration.jwks = JSON.parse(fs.readFileSync(flags.jwks, 'utf8')) as ClientRegistration['jwks'];
  if (flags['jwks-uri']) registration.jwks_uri = flags['jwks-uri'];
  if (flags.permit) registration.research_permit = flags.permit;
  if (flags.purpose) registration.purpose_of_use = flags.purpose;
  parseClientFile({ clients: [registration] });
  return registration;
}

function parseClientFlags(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    if (name === 'replace') flags.replace = '';
    else if (name && VALUE_FLAGS.has(name) && i + 1 < args.length) flags[name] = args[++i];
    else throw new Error(`unexpected argument '${args[i]}'`);
  }
  return flags;
}

function required(flags: Record<string, string>, name: string): string {
  const v = flags[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
}

function readOrEmpty(file: string): ClientFile {
  return fs.existsSync(file) ? readClientFile(file) : { clients: [] };
}

function writeAtomically(file: string, contents: ClientFile): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}
