// The Yeoman generator through yeoman-test: every event bus, one and many instances, every TLS mode,
// prompts with mocked answers, and regeneration in one folder with force off (yeoman-test forces by default).
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import helpers, { type RunResult } from 'yeoman-test';
import { afterEach, describe, expect, it } from 'vitest';
import { projectNameFor } from '../src/answers/schema.js';
import { ROOT, selfSignedPair, snapshot, SERVICE_ACCOUNT_JSON } from './helpers/stack.js';

const GENERATOR = path.join(ROOT, 'generators/app/index.js');
// yeoman-test forces twice: in the environment (third argument) and in the generator's options
// (its own `force: true` unless withOptions says otherwise). Turn both off.
const NO_FORCE = { force: false, skipInstall: true } as const;
const opts = (o: Record<string, unknown>) => ({ force: false, ...o }) as never;

afterEach(() => {
  process.exitCode = 0;
});

function compose(dir: string): { services: Record<string, unknown> } {
  return parse(readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8'), { merge: true, maxAliasCount: -1 });
}
const nodes = (dir: string) => Object.keys(compose(dir).services).filter((s) => /^bindplane-\d+$/.test(s));
const stored = (dir: string) => JSON.parse(readFileSync(path.join(dir, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];

function makeCert(dir: string): void {
  selfSignedPair(dir);
}

describe('yo bindplane-distributed with options', () => {
  const variants: { name: string; options: Record<string, unknown>; nodes: number; files?: string[]; setup?: (dir: string) => void }[] = [
    { name: 'kafka, one instance, no TLS', options: { instances: '1', eventBus: 'kafka' }, nodes: 1 },
    {
      name: 'kafka with 3 brokers, many instances, self-signed TLS',
      options: { instances: '12', eventBus: 'kafka', kafkaBrokers: '3', tls: 'selfSigned' },
      nodes: 12,
      files: ['scripts/tls-self-signed.sh'],
    },
    {
      name: 'nats, many instances, provided TLS',
      options: { instances: '7', eventBus: 'nats', tls: 'provided', tlsCertFile: 'c.pem', tlsKeyFile: 'k.pem' },
      nodes: 7,
      files: ['local/tls/tls.crt', 'local/tls/tls.key'],
      setup: makeCert,
    },
    { name: 'pubsub in the emulator', options: { instances: '2', eventBus: 'pubsub', pubsubProjectId: 'demo-project' }, nodes: 2 },
    {
      name: 'pubsub with a credentials file',
      options: { instances: '3', eventBus: 'pubsub', pubsubProjectId: 'demo-project', pubsubCredentialsFile: 'sa.json' },
      nodes: 3,
      files: ['local/pubsub/credentials.json'],
      setup: (d) => writeFileSync(path.join(d, 'sa.json'), SERVICE_ACCOUNT_JSON),
    },
  ];

  for (const v of variants) {
    it(v.name, async () => {
      const result: RunResult = await helpers
        .run(GENERATOR, {}, NO_FORCE)
        .onTargetDirectory((d) => v.setup?.(d))
        .withOptions(opts({ ...v.options, defaults: true }));
      const dir = result.cwd;
      expect(process.exitCode ?? 0).toBe(0);
      result.assertFile([
        'docker-compose.yml',
        'nginx/nginx.conf',
        'prometheus/prometheus.yml',
        'prometheus/rules/bindplane.yml',
        'Makefile',
        'README.md',
        '.gitignore',
        '.env',
        'bindplane/bindplane.env',
        ...(v.files ?? []),
      ]);
      expect(nodes(dir)).toHaveLength(v.nodes);
      expect(compose(dir).services).toHaveProperty('bindplane-jobs');
      expect(stored(dir).instances).toBe(v.nodes);
      expect(statSync(path.join(dir, '.env')).mode & 0o777).toBe(0o600);
      for (const f of v.files ?? []) if (f.startsWith('local/')) expect(statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);
    });
  }
});

describe('yo bindplane-distributed with prompts', () => {
  it('asks the unanswered questions and stores the answers, not the derived ones accepted as proposed', async () => {
    const result = await helpers
      .run(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ interactive: true }))
      .withAnswers({ instances: '4', eventBus: 'nats', tls: 'selfSigned' });
    const dir = result.cwd;
    expect(nodes(dir)).toHaveLength(4);
    expect(readFileSync(path.join(dir, 'bindplane/bindplane.env'), 'utf8')).toContain('BINDPLANE_EVENT_BUS_TYPE=nats');
    expect(readFileSync(path.join(dir, 'bindplane/bindplane.env'), 'utf8')).toContain('BINDPLANE_REMOTE_URL=https://localhost:3001');
    const answers = stored(dir);
    // The project name proposed is the folder's, and stored so that renaming the folder keeps it.
    expect(answers).toMatchObject({ instances: 4, eventBus: 'nats', tls: 'selfSigned', projectName: projectNameFor(dir) });
    expect(answers.remoteUrl).toBeUndefined();
    // Questions that do not apply were not asked, nor stored.
    expect(answers.kafkaTopic).toBeUndefined();
  });

  it('asks for the Pub/Sub project only when pubsub is chosen', async () => {
    const result = await helpers
      .run(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ interactive: true }))
      .withAnswers({ eventBus: 'pubsub', pubsubProjectId: 'my-project-1' });
    expect(readFileSync(path.join(result.cwd, 'bindplane/bindplane.env'), 'utf8')).toContain('BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID=my-project-1');
    expect(compose(result.cwd).services).toHaveProperty('pubsub-emulator');
  });
});

describe('yo bindplane-distributed, the question flow', () => {
  it('asks only the basic questions by default, then the advanced gate and the summary', async () => {
    const result = await helpers
      .run(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ interactive: true }))
      .withAnswers({ instances: '2' });
    expect(result.askedQuestions.map((q) => q.name)).toEqual(['instances', 'eventBus', 'tls', 'advanced', 'confirm']);
    expect(nodes(result.cwd)).toHaveLength(2);
  });

  it('yes at the gate asks the advanced questions too', async () => {
    const result = await helpers
      .run(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ interactive: true }))
      .withAnswers({ advanced: true, projectName: 'other' });
    const asked = result.askedQuestions.map((q) => q.name);
    expect(asked).toContain('projectName');
    expect(asked).toContain('httpPort');
    expect(stored(result.cwd).projectName).toBe('other');
  });

  it('files it did not write are refused before the first question', async () => {
    const result = await helpers
      .run(GENERATOR, {}, NO_FORCE)
      .onTargetDirectory((d) => writeFileSync(path.join(d, 'Makefile'), 'mine:\n'))
      .withOptions(opts({ interactive: true }));
    // A folder the generator may not write is bad input, as in the CLI.
    expect(process.exitCode).toBe(2);
    expect(result.askedQuestions).toEqual([]);
    expect(readFileSync(path.join(result.cwd, 'Makefile'), 'utf8')).toBe('mine:\n');
  });
});

describe('regeneration under yeoman-test, force off', () => {
  it('a second run with the same answers changes nothing; a changed answer touches only its files', async () => {
    const first = await helpers.run(GENERATOR, {}, NO_FORCE).withOptions(opts({ defaults: true, instances: '3' }));
    const dir = first.cwd;
    const before = snapshot(dir);
    await first
      .create(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ defaults: true }))
      .run();
    const same = snapshot(dir);
    expect([...same.entries()]).toEqual([...before.entries()]);

    await first
      .create(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ defaults: true, instances: '5' }))
      .run();
    const after = snapshot(dir);
    const changed = [...after.keys()].filter(
      (k) => !k.endsWith('/') && (before.get(k)?.content !== after.get(k)?.content || before.get(k)?.mtimeMs !== after.get(k)?.mtimeMs),
    );
    expect(changed.sort()).toEqual(
      ['.bindplane-distributed/base.txt', '.bindplane-distributed/record.json', '.yo-rc.json', 'README.md', 'docker-compose.yml', 'nginx/nginx.conf'].sort(),
    );
    expect(nodes(dir)).toHaveLength(5);
  });

  it('merges edits, leaves conflicts with exit code 1, keeps deleted files deleted, removes stale ones', async () => {
    const first = await helpers.run(GENERATOR, {}, NO_FORCE).withOptions(opts({ defaults: true, instances: '3', tls: 'selfSigned' }));
    const dir = first.cwd;
    const file = (p: string) => path.join(dir, p);
    writeFileSync(file('nginx/nginx.conf'), readFileSync(file('nginx/nginx.conf'), 'utf8').replace('client_max_body_size 64m;', 'client_max_body_size 128m;'));
    rmSync(file('Makefile'));
    await first
      .create(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ defaults: true, instances: '4', tls: 'none' }))
      .run();
    expect(process.exitCode ?? 0).toBe(0);
    const conf = readFileSync(file('nginx/nginx.conf'), 'utf8');
    expect(conf).toContain('client_max_body_size 128m;');
    expect(conf).toContain('server bindplane-4:3001');
    expect(existsSync(file('Makefile'))).toBe(false);
    expect(existsSync(file('scripts/tls-self-signed.sh'))).toBe(false);

    writeFileSync(file('nginx/nginx.conf'), conf.replace('server bindplane-4:3001 resolve max_fails=2', 'server bindplane-4:3001 resolve max_fails=9'));
    await first
      .create(GENERATOR, {}, NO_FORCE)
      .withOptions(opts({ defaults: true, instances: '3' }))
      .run();
    expect(process.exitCode).toBe(1);
    expect(readFileSync(file('nginx/nginx.conf'), 'utf8')).toMatch(/^<<<<<<< yours/m);
  });

  it('--check, --dry-run, --force and --restore behave as in the CLI', async () => {
    const first = await helpers.run(GENERATOR, {}, NO_FORCE).withOptions(opts({ defaults: true }));
    const dir = first.cwd;
    const again = (o: Record<string, unknown>) =>
      first
        .create(GENERATOR, {}, NO_FORCE)
        .withOptions(opts({ defaults: true, ...o }))
        .run();
    await again({ check: true });
    expect(process.exitCode ?? 0).toBe(0);
    const before = snapshot(dir);
    await again({ check: true, instances: '5' });
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    await again({ 'dry-run': true, instances: '5' });
    expect([...snapshot(dir).entries()]).toEqual([...before.entries()]);
    writeFileSync(path.join(dir, 'Makefile'), `${readFileSync(path.join(dir, 'Makefile'), 'utf8')}# mine\n`);
    await again({ force: true });
    expect(readFileSync(path.join(dir, 'Makefile'), 'utf8')).not.toContain('# mine');
    rmSync(path.join(dir, 'README.md'));
    await again({});
    expect(existsSync(path.join(dir, 'README.md'))).toBe(false);
    await again({ restore: 'README.md' });
    expect(existsSync(path.join(dir, 'README.md'))).toBe(true);
  });

  it('bad input sets exit code 2 and writes nothing', async () => {
    const result = await helpers.run(GENERATOR, {}, NO_FORCE).withOptions(opts({ defaults: true, instances: '0' }));
    expect(process.exitCode).toBe(2);
    expect(snapshot(result.cwd).size).toBe(0);
  });
});
