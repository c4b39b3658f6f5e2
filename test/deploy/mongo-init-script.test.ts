import assert from 'node:assert/strict';
import vm from 'node:vm';
import { repoFile } from './deploy-files';

// docker/mongo/init-replica-set.js runs in mongosh, which is not installed here: it runs in a sandbox with the mongosh
// globals it uses (connect, sleep, print) answered by a fake MongoDB member. This checks the script's decisions
// (initiate once, user created then updated, retries), not MongoDB's behaviour.
interface User {
  user: string;
  pwd: string;
  roles: unknown[];
}

/** Objects made inside the sandbox have its prototypes: copied out so they compare as plain data. */
const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

class FakeMember {
  initiated = false;
  config: unknown;
  initiateCalls = 0;
  users = new Map<string, User>();
  uris: string[] = [];
  unreachableFor = 0;
  private hellos = 0;

  connect(uri: string): unknown {
    this.uris.push(uri);
    if (this.unreachableFor-- > 0) throw new Error('connect ECONNREFUSED');
    return {
      runCommand: (cmd: Record<string, unknown>) => this.command(cmd),
      getUser: (name: string) => this.users.get(name) ?? null,
      createUser: (u: User) => this.users.set(u.user, plain(u)),
      updateUser: (name: string, change: Omit<User, 'user'>) => this.users.set(name, plain({ user: name, ...change })),
    };
  }

  private command(cmd: Record<string, unknown>): unknown {
    if ('ping' in cmd) return { ok: 1 };
    if ('replSetGetStatus' in cmd) {
      if (this.initiated) return { ok: 1 };
      throw Object.assign(new Error('no replset config has been received'), { code: 94, codeName: 'NotYetInitialized' });
    }
    if ('replSetInitiate' in cmd) {
      this.initiateCalls++;
      this.initiated = true;
      this.config = plain(cmd.replSetInitiate);
      return { ok: 1 };
    }
    // The member becomes primary a moment after initiation.
    if ('hello' in cmd) return { ok: 1, isWritablePrimary: this.initiated && ++this.hellos > 1 };
    throw new Error(`unexpected command ${JSON.stringify(cmd)}`);
  }
}

const ENV = {
  MONGO_REPLICA_SET: 'rs0', MONGO_MEMBER: 'mongo:27017', FHIR_DB: 'region-fhir', MONGO_ROOT_USERNAME: 'root',
  MONGO_ROOT_PASSWORD: 'p@ss/word', MONGO_APP_USERNAME: 'region-fhir', MONGO_APP_PASSWORD: 'first',
};

function runScript(member: FakeMember, env: Record<string, string>): string[] {
  const printed: string[] = [];
  const sandbox = {
    process: { env },
    connect: (uri: string) => member.connect(uri),
    sleep: () => undefined,
    print: (line: string) => printed.push(line),
  };
  vm.runInNewContext(repoFile('docker/mongo/init-replica-set.js'), sandbox);
  return printed;
}

describe('replica-set initialisation (docker/mongo/init-replica-set.js)', () => {
  it('waits for the member, initiates the set, waits for primary, creates the application user', () => {
    const member = new FakeMember();
    member.unreachableFor = 3;
    const printed = runScript(member, ENV);
    assert.equal(member.uris.length, 4, 'retried until reachable');
    assert.match(member.uris[0], /^mongodb:\/\/root:p%40ss%2Fword@mongo:27017\/admin\?.*directConnection=true/);
    assert.deepEqual(member.config, { _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
    assert.deepEqual(member.users.get('region-fhir'), { user: 'region-fhir', pwd: 'first', roles: [{ role: 'readWrite', db: 'region-fhir' }] });
    assert.deepEqual(printed, ['replica set rs0 initiated with member mongo:27017', 'application user region-fhir created (readWrite on region-fhir)']);
  });

  it('run again: leaves the set alone and sets the user password from the environment', () => {
    const member = new FakeMember();
    runScript(member, ENV);
    const printed = runScript(member, { ...ENV, MONGO_APP_PASSWORD: 'rotated' });
    assert.equal(member.initiateCalls, 1);
    assert.equal(member.users.get('region-fhir')?.pwd, 'rotated');
    assert.deepEqual(printed, ['replica set already initiated', 'application user region-fhir updated (readWrite on region-fhir)']);
  });

  it('fails, naming the variable, when a setting is missing', () => {
    const env: Record<string, string> = { ...ENV };
    delete env.MONGO_APP_PASSWORD;
    assert.throws(() => runScript(new FakeMember(), env), /MONGO_APP_PASSWORD is not set/);
  });
});
