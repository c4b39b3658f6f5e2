import assert from 'node:assert/strict';
import {
  childBlocks, configVariables, dockerIgnored, dockerignorePatterns, dockerStages, envFileEntries, interpolatedVariables,
  repoFile, repoPathExists, topLevelBlocks, type Instruction, type Stage,
} from './deploy-files';

// Invariants of the deployment files, checked as text. These tests do not build or run the image (no Docker engine
// here): they keep the files consistent with each other, with the server's configuration and with its docs.
const COMPOSE_FILES = ['docker/compose.yaml', 'docker/compose.embedded.yaml'];

describe('deployment files: Dockerfile', () => {
  const { globalArgs, stages } = dockerStages(repoFile('docker/Dockerfile'));
  const runtime = stages[stages.length - 1];
  const all = (stage: Stage, keyword: string): Instruction[] => stage.instructions.filter((i) => i.keyword === keyword);

  it('is multi-stage, every stage on the same Node 20 base (the native module is built for the runtime it runs on)', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    const bases = new Set(stages.map((s) => s.from));
    assert.equal(bases.size, 1, `one base for all stages, got ${[...bases].join(', ')}`);
    const base = [...bases][0];
    const arg = /^\$\{?([A-Z_]+)\}?$/.exec(base)?.[1];
    const resolved = arg ? /^[A-Z_]+=(\S+)$/.exec(globalArgs.find((a) => a.args.startsWith(`${arg}=`))?.args ?? '')?.[1] : base;
    assert.match(resolved ?? '', /^node:20[-.\w]*$/, 'a Node 20 image');
  });

  it('builds with npm ci and npm run build; the runtime stage installs no dev dependencies and no toolchain', () => {
    const runs = (s: Stage) => all(s, 'RUN').map((r) => r.args).join('\n');
    assert.ok(stages.slice(0, -1).some((s) => /\bnpm run build\b/.test(runs(s))), 'npm run build in a build stage');
    const runtimeRuns = runs(runtime);
    assert.doesNotMatch(runtimeRuns, /\bnpm (install|i|ci|rebuild)\b/, 'the runtime stage installs nothing with npm');
    assert.doesNotMatch(runtimeRuns, /\b(g\+\+|make|python3|build-essential)\b/, 'no compiler in the runtime image');
    // node_modules comes from a stage that installed production dependencies only.
    const modules = all(runtime, 'COPY').find((c) => /\snode_modules\b/.test(c.args) || /\/node_modules\s/.test(c.args));
    const source = /--from=(\S+)/.exec(modules?.args ?? '')?.[1];
    const depsStage = stages.find((s) => s.name === source);
    assert.ok(depsStage, 'node_modules is copied from a named stage');
    assert.match(runs(depsStage), /\bnpm ci\b[^\n]*--omit=dev/, 'that stage runs npm ci --omit=dev');
    assert.doesNotMatch(runs(depsStage), /\bnpm (install|i)\b/, 'npm ci, never npm install, so the lockfile decides');
  });

  it('runs as a non-root user, with /data as a volume, port 8080 on all interfaces, SIGTERM and a node healthcheck', () => {
    const users = all(runtime, 'USER');
    assert.ok(users.length > 0, 'USER in the runtime stage');
    assert.doesNotMatch(users[users.length - 1].args, /^(root|0)(:|$)/, 'the last USER is not root');
    assert.ok(all(runtime, 'VOLUME').some((v) => /["\s[]?\/data["\s\]]?/.test(v.args)), 'VOLUME /data');
    assert.ok(all(runtime, 'EXPOSE').some((e) => /\b8080\b/.test(e.args)), 'EXPOSE 8080');
    assert.ok(all(runtime, 'ENV').some((e) => /\bHOST=0\.0\.0\.0\b/.test(e.args)), 'ENV HOST=0.0.0.0');
    assert.deepEqual(all(runtime, 'STOPSIGNAL').map((s) => s.args), ['SIGTERM']);
    const health = all(runtime, 'HEALTHCHECK');
    assert.equal(health.length, 1);
    assert.match(health[0].args, /CMD \["node", "[^"]*healthcheck\.js"\]/);
    assert.doesNotMatch(health[0].args, /\b(curl|wget)\b/);
    assert.match(repoFile('docker/healthcheck.js'), /path: '\/healthz'/);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const patterns = dockerignorePatterns(repoFile('.dockerignore'));
    for (const stage of stages) {
      for (const copy of all(stage, 'COPY').filter((c) => !/--from=/.test(c.args))) {
        const words = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        for (const src of words.slice(0, -1)) {
          assert.ok(repoPathExists(src), `COPY ${src} (line ${copy.line}) exists`);
          assert.ok(!dockerIgnored(src, patterns), `COPY ${src} (line ${copy.line}) is not excluded by .dockerignore`);
        }
      }
    }
  });

  it('starts the compiled CLI that `npm run build` produces', () => {
    const entry = all(runtime, 'ENTRYPOINT').map((e) => e.args).join(' ');
    assert.match(entry, /docker\/entrypoint\.sh/);
    assert.match(repoFile('docker/entrypoint.sh'), /exec node "\$\(dirname "\$0"\)\/\.\.\/dist\/src\/main\.js" "\$@"/);
    assert.ok(all(runtime, 'COPY').some((c) => /--from=\S+ \/app\/dist\/src \.\/dist\/src/.test(c.args)), 'dist/src is copied to /app/dist/src');
    assert.ok(repoPathExists('dist/src/main.js'), 'tsc writes dist/src/main.js');
    assert.deepEqual(all(runtime, 'CMD').map((c) => c.args), ['["serve"]']);
  });
});

describe('deployment files: .dockerignore', () => {
  const patterns = dockerignorePatterns(repoFile('.dockerignore'));

  it('keeps local state and build output out of the context', () => {
    for (const p of ['node_modules', 'dist/src/main.js', 'data/region-fhir.db', '.git/HEAD', 'region-fhir.db-wal', 'backups/old.db', 'docker/.env', 'docker/secrets/mongo-keyfile']) {
      assert.ok(dockerIgnored(p, patterns), `${p} is ignored`);
    }
    for (const p of ['package.json', 'package-lock.json', 'src/main.ts', 'docker/Dockerfile', 'docker/entrypoint.sh']) {
      assert.ok(!dockerIgnored(p, patterns), `${p} is in the context`);
    }
  });
});

describe('deployment files: compose', () => {
  const envExample = envFileEntries(repoFile('docker/.env.example'));
  const deployment = repoFile('docs/deployment.md');

  for (const file of COMPOSE_FILES) {
    describe(file, () => {
      const text = repoFile(file);
      const top = topLevelBlocks(text);
      const services = childBlocks(top.get('services') ?? '');

      it('is block-style YAML indented with spaces', () => {
        assert.ok(!text.includes('\t'), 'no tabs');
        assert.ok(services.size > 0, 'has services');
        for (const line of text.split('\n')) {
          const indent = line.length - line.trimStart().length;
          if (line.trim()) assert.equal(indent % 2, 0, `two-space indentation: '${line}'`);
        }
      });

      it('documents every variable it interpolates, in .env.example and in docs/deployment.md', () => {
        for (const name of interpolatedVariables(text)) {
          assert.ok(envExample.some((e) => e.name === name), `${name} in docker/.env.example`);
          assert.ok(deployment.includes(`\`${name}\``), `${name} in docs/deployment.md`);
        }
      });

      it('holds no secret-looking literal', () => {
        for (const line of text.split('\n').filter((l) => !l.trim().startsWith('#'))) {
          const m = /^\s*-?\s*([A-Za-z0-9_]+)\s*[:=]\s*(.+)$/.exec(line);
          if (m && /PASSWORD|SECRET|TOKEN|PSEUDONYM_KEY|SIGNING_KEY/i.test(m[1])) {
            assert.match(m[2].trim(), /^\$\{[A-Z0-9_]+(:[-?][^}]*)?\}$/, `${m[1]} comes from the environment`);
          }
          assert.doesNotMatch(line, /[A-Za-z0-9+/]{40,}={0,2}/, `no long key-like literal: '${line.trim()}'`);
        }
        let checked = 0;
        for (const creds of text.matchAll(/mongodb(?:\+srv)?:\/\/([^@\n]*)@/g)) {
          assert.match(creds[1], /^(\$\{[^}]+\}|:)+$/, 'MongoDB credentials are interpolated');
          checked++;
        }
        if (text.includes('mongodb://')) assert.ok(checked > 0, 'the MongoDB URL was found and checked');
      });

      it('gives every long-running service a healthcheck, declares its named volumes, and mounts files that exist', () => {
        for (const [name, block] of services) {
          const oneShot = /^\s*restart:\s*"?no"?\s*$/m.test(block);
          if (!oneShot) assert.match(block, /^\s*healthcheck:/m, `${name} has a healthcheck`);
        }
        const declared = new Set(childBlocks(top.get('volumes') ?? '').keys());
        for (const m of text.matchAll(/^\s*-\s*([^\s:]+):\/[^\s]*$/gm)) {
          const source = m[1];
          if (source.startsWith('.')) assert.ok(repoPathExists(`docker/${source}`), `${source} exists`);
          else assert.ok(declared.has(source), `volume ${source} is declared`);
        }
      });

      it('runs the server with SMART authentication, configured by the environment, healthy by node', () => {
        const fhir = services.get('fhir') ?? '';
        assert.match(fhir, /^\s*AUTH: smart$/m);
        assert.match(fhir, /^\s*BASE_URL: \$\{BASE_URL/m);
        assert.match(fhir, /^\s*STORE_URL: /m);
        assert.match(fhir, /- fhir-data:\/data$/m);
        assert.match(fhir, /test: \["CMD", "node", "\/app\/docker\/healthcheck\.js"\]/);
      });
    });
  }

  describe('docker/compose.yaml: MongoDB', () => {
    const text = repoFile('docker/compose.yaml');
    const services = childBlocks(topLevelBlocks(text).get('services') ?? '');
    const fhir = services.get('fhir') ?? '';
    const mongo = services.get('mongo') ?? '';
    const init = services.get('mongo-init') ?? '';

    it('is a MongoDB 7 replica set with key-file authentication and a root user from the environment', () => {
      assert.match(mongo, /image: mongo:7(\.\d+)?\s/);
      assert.match(mongo, /"--replSet", "rs0"/);
      assert.match(mongo, /"--keyFile", "\/etc\/mongo-keyfile"/);
      assert.match(repoFile('docker/mongo/mongod-with-keyfile.sh'), /install -m 0400 -o mongodb -g mongodb \/run\/secrets\/mongo_keyfile \/etc\/mongo-keyfile/);
      assert.match(mongo, /MONGO_INITDB_ROOT_PASSWORD: \$\{MONGO_ROOT_PASSWORD:\?/);
      assert.doesNotMatch(mongo, /^\s*ports:/m, 'MongoDB is not published');
    });

    it('initiates the replica set once and creates an application user limited to readWrite on the FHIR database', () => {
      assert.match(init, /condition: service_started/);
      assert.match(init, /^\s*restart: "no"$/m);
      const script = repoFile('docker/mongo/init-replica-set.js');
      assert.match(script, /replSetInitiate/);
      assert.match(script, /isInitiated\(admin\)/, 'initiates only when not yet initiated');
      assert.match(script, /roles = \[\{ role: 'readWrite', db: fhirDb \}\]/);
    });

    it('starts the server after MongoDB is healthy and initialised, on the application user over the replica set', () => {
      assert.match(fhir, /mongo:\s*\n\s*condition: service_healthy/);
      assert.match(fhir, /mongo-init:\s*\n\s*condition: service_completed_successfully/);
      const url = /STORE_URL: "([^"]+)"$/m.exec(fhir)?.[1] ?? '';
      assert.match(url, /^mongodb:\/\/\$\{MONGO_APP_USERNAME[^}]*\}:\$\{MONGO_APP_PASSWORD[^}]*\}@mongo:27017\//);
      assert.match(url, /[?&]replicaSet=rs0(&|$)/);
      assert.match(url, /[?&]authSource=admin(&|$)/);
    });
  });

  it('.env.example leaves every secret empty and uses each of its variables in a compose file', () => {
    const used = new Set(COMPOSE_FILES.flatMap((f) => [...interpolatedVariables(repoFile(f))]));
    for (const { name, value } of envExample) {
      assert.ok(used.has(name), `${name} is used by a compose file`);
      if (/PASSWORD|SECRET|KEY/.test(name)) assert.equal(value, '', `${name} has no value in the example`);
    }
  });

  it('git never sees the filled-in .env or the replica-set key', () => {
    const ignore = repoFile('docker/.gitignore').split('\n').map((l) => l.trim());
    assert.ok(ignore.includes('.env'));
    assert.ok(ignore.includes('secrets/'));
  });
});

describe('deployment files: docs/deployment.md', () => {
  const doc = repoFile('docs/deployment.md');

  it('describes every environment variable the server reads (src/config.ts)', () => {
    const names = configVariables(repoFile('src/config.ts'));
    assert.ok(names.length >= 10, `found the config variables (${names.join(', ')})`);
    for (const name of names) assert.ok(doc.includes(`| \`${name}\``), `${name} has a row in the configuration reference`);
  });

  it('recommends the shard key that docs/store-mongo.md describes', () => {
    const storeMongo = repoFile('docs/store-mongo.md');
    const key = /sh\.shardCollection\("region-fhir\.resources", (\{[^}]+\})\)/.exec(storeMongo)?.[1];
    assert.ok(key, 'docs/store-mongo.md names a shard key');
    assert.ok(doc.includes(key), `docs/deployment.md recommends ${key}`);
  });
});
