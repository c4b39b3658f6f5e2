// One-shot initialisation of the compose deployment's MongoDB (run by the `mongo-init` service with mongosh).
// Idempotent, so it runs on every `docker compose up`:
//   1. initiates the replica set unless it already is one;
//   2. waits until the member is primary;
//   3. creates the server's application user with readWrite on the FHIR database only, or sets its password and
//      roles again (rotating the password is: change MONGO_APP_PASSWORD in .env, `docker compose up -d`).
// Multi-document transactions, which make every FHIR commit atomic, need a replica set (docs/store-mongo.md).

const env = process.env;
const required = (name) => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const replicaSet = required('MONGO_REPLICA_SET');
const member = required('MONGO_MEMBER');
const fhirDb = required('FHIR_DB');
const appUser = required('MONGO_APP_USERNAME');
const appPassword = required('MONGO_APP_PASSWORD');
const rootUri = `mongodb://${encodeURIComponent(required('MONGO_ROOT_USERNAME'))}:${encodeURIComponent(required('MONGO_ROOT_PASSWORD'))}`
  + `@${member}/admin?authSource=admin&directConnection=true&serverSelectionTimeoutMS=2000`;

const NOT_YET_INITIALIZED = 94;
const ALREADY_INITIALIZED = 23;

/** Retries `attempt` once a second until it returns a truthy value; throws after `seconds`. */
function waitFor(what, seconds, attempt) {
  let lastError;
  for (let i = 0; i < seconds; i++) {
    try {
      const value = attempt();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    sleep(1000);
  }
  throw new Error(`gave up waiting for ${what} after ${seconds} s${lastError ? `: ${lastError.message}` : ''}`);
}

/** Whether the member already belongs to a replica set; a command that fails for another reason is an error. */
function isInitiated(admin) {
  try {
    const status = admin.runCommand({ replSetGetStatus: 1 });
    if (status.ok === 1) return true;
    if (status.code === NOT_YET_INITIALIZED) return false;
    throw new Error(`replSetGetStatus: ${status.errmsg}`);
  } catch (err) {
    if (err.code === NOT_YET_INITIALIZED) return false;
    throw err;
  }
}

function initiate(admin) {
  try {
    const result = admin.runCommand({ replSetInitiate: { _id: replicaSet, members: [{ _id: 0, host: member }] } });
    if (result.ok !== 1 && result.code !== ALREADY_INITIALIZED) throw new Error(`replSetInitiate: ${result.errmsg}`);
  } catch (err) {
    if (err.code !== ALREADY_INITIALIZED) throw err;
  }
}

function ensureAppUser(admin) {
  const roles = [{ role: 'readWrite', db: fhirDb }];
  if (admin.getUser(appUser) === null) {
    admin.createUser({ user: appUser, pwd: appPassword, roles });
    return 'created';
  }
  admin.updateUser(appUser, { pwd: appPassword, roles });
  return 'updated';
}

// The member restarts once on a fresh volume (the image creates the root user on a temporary server first).
const admin = waitFor(`MongoDB at ${member}`, 120, () => {
  const db = connect(rootUri);
  db.runCommand({ ping: 1 });
  return db;
});
if (isInitiated(admin)) print(`replica set already initiated`);
else {
  initiate(admin);
  print(`replica set ${replicaSet} initiated with member ${member}`);
}
waitFor('the member to become primary', 60, () => admin.runCommand({ hello: 1 }).isWritablePrimary);
print(`application user ${appUser} ${ensureAppUser(admin)} (readWrite on ${fhirDb})`);
