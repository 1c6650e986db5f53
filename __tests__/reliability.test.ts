// Behaviours a mutation test found unguarded: the published JSON Schema refusing unknown keys, the
// secrets' random source, .gitignore keeping an interrupted update's files out of git; and the run
// lock's states one at a time (lock-stress.test.ts runs it under load).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import yaml from 'js-yaml';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BUSY_EXIT } from '../src/errors.js';
import { newSecretValue, randomToken } from '../src/update/envfile.js';
import { CLI, ROOT, cleanupTempDirs, cli, generateStack, tempDir } from './helpers/stack.js';
import { readEnvFile } from './servers/helpers.js';

afterAll(cleanupTempDirs);

describe('answers.schema.json, as an editor applies it to real answer files', () => {
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(path.join(ROOT, 'answers.schema.json'), 'utf8')));
  const FULL = `# yaml-language-server: $schema=./answers.schema.json
projectName: shop-telemetry
bindplaneVersion: 1.96.3
imageRegistry: ghcr.io/observiq
instances: 5
eventBus: kafka
kafkaBrokers: 3
postgresVersion: "16"
transformAgents: 2
tls: selfSigned
httpPort: 8443
demoAgents: 1
`;

  /** Writes the file, checks it with the schema and with the real CLI (--dry-run); both must agree. */
  function both(text: string): { schema: boolean; errors: string; cli: number | null } {
    const dir = tempDir('bpd-schema-');
    const file = path.join(dir, 'answers.yaml');
    writeFileSync(file, text);
    const schema = validate(yaml.load(text));
    const r = cli([path.join(dir, 'stack'), '--answers', file, '--dry-run']);
    return { schema, errors: JSON.stringify(validate.errors ?? []), cli: r.status };
  }

  it('accepts a full answers file the generator accepts, and the answers a stack stores', async () => {
    expect(both(FULL)).toEqual({ schema: true, errors: '[]', cli: 0 });
    const stack = await generateStack({ eventBus: 'nats', instances: 2, tls: 'selfSigned' });
    const stored = JSON.parse(readFileSync(path.join(stack, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];
    expect(validate(stored), JSON.stringify(validate.errors)).toBe(true);
  });

  it('refuses an unknown key (a misspelt answer), as the generator does', () => {
    for (const typo of ['instance: 4', 'eventbus: nats', 'tlsCert: x.pem']) {
      const r = both(`${FULL}${typo}\n`);
      expect(r.schema, typo).toBe(false);
      expect(r.errors, typo).toContain('additionalProperties');
      expect(r.errors, typo).toContain(JSON.stringify(typo.split(':')[0]));
      expect(r.cli, typo).toBe(2);
    }
  });
});

describe('secrets come from a cryptographic source', () => {
  afterEach(() => vi.restoreAllMocks());

  const secretsOf = (dir: string) => Object.entries(readEnvFile(path.join(dir, '.env'))).filter(([k]) => k !== 'BINDPLANE_LICENSE');

  it('differ between stacks even when Math.random always returns the same number', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const a = secretsOf(await generateStack({ eventBus: 'kafka' }));
    const b = secretsOf(await generateStack({ eventBus: 'kafka' }));
    expect(Math.random()).toBe(0.5); // the stub was in place
    expect(a.map(([k]) => k)).toEqual(b.map(([k]) => k));
    expect(a.length).toBeGreaterThanOrEqual(4);
    const values = [...a, ...b].map(([, v]) => v);
    expect(new Set(values).size, 'every secret of both stacks is distinct').toBe(values.length);
  });

  it('tokens: the length asked, letters and digits only, every one of the 62 used, no repeats', () => {
    const tokens = Array.from({ length: 400 }, () => randomToken(32));
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
    const counts = new Map<string, number>();
    for (const ch of tokens.join('')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 12800 characters over 62: about 206 each; a uniform source stays far inside these bounds.
    for (const [ch, n] of counts) expect(n, ch).toBeGreaterThan(130);
    for (const [ch, n] of counts) expect(n, ch).toBeLessThan(290);
  });

  it('UUIDs and Kafka cluster ids: well formed and distinct', () => {
    const uuids = Array.from({ length: 200 }, () => newSecretValue({ key: 'X', kind: 'uuid', purpose: 'test' }));
    for (const u of uuids) expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(uuids).size).toBe(uuids.length);
    const ids = Array.from({ length: 200 }, () => newSecretValue({ key: 'KAFKA_CLUSTER_ID', kind: 'kafkaClusterId', purpose: 'test' }));
    for (const id of ids) expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('.gitignore and an interrupted update', () => {
  it('git sees none of the journal, the staging or the lock that a killed update leaves', () => {
    const dest = path.join(tempDir('bpd-gitignore-'), 'stack');
    expect(cli([dest, '--defaults', '--instances', '2']).status).toBe(0);
    const git = (...args: string[]) =>
      spawnSync('git', args, {
        cwd: dest,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: dest,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.com',
        },
      });
    expect(git('init', '-q').status).toBe(0);
    expect(git('add', '-A').status).toBe(0);
    expect(git('commit', '-q', '-m', 'stack').status).toBe(0);
    // Kill an update at successive steps until it dies with its journal written.
    let step = 1;
    for (; step < 100; step++) {
      const killed = spawnSync(process.execPath, [CLI, dest, '--defaults', '--instances', String(3 + step)], {
        env: { ...process.env, BPD_TEST_CRASH_AT_STEP: String(step) },
        stdio: 'ignore',
      });
      expect(killed.signal, `step ${step}`).toBe('SIGKILL');
      if (existsSync(path.join(dest, '.bindplane-distributed/txn/journal.json'))) break;
    }
    expect(existsSync(path.join(dest, '.bindplane-distributed/txn/stage')), 'staged files are left').toBe(true);
    expect(existsSync(path.join(dest, '.bindplane-distributed/lock')), 'the lock is left').toBe(true);
    const status = git('status', '--porcelain', '--untracked-files=all', '--ignored=no');
    expect(status.status).toBe(0);
    expect(status.stdout.split('\n').filter((l) => /\.bindplane-distributed\/(txn|lock)|\.env/.test(l))).toEqual([]);
    // The next run finishes the update, and the killed run's lock is no obstacle.
    const next = cli([dest, '--check']);
    expect(next.status, next.stdout + next.stderr).toBe(0);
    expect(existsSync(path.join(dest, '.bindplane-distributed/txn'))).toBe(false);
    expect(existsSync(path.join(dest, '.bindplane-distributed/lock'))).toBe(false);
  });
});

describe('the run lock, inside the destination', () => {
  const deadPid = () => {
    const p = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    return Number(p.stdout);
  };
  const lockText = (pid: number, host = hostname()) => `${pid} ${host} 0123456789abcdef\n`;

  it("a live run's lock makes the run exit with the busy code and change nothing; a dead run's lock is taken over", () => {
    const dest = path.join(tempDir('bpd-lock-'), 'stack');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const lock = path.join(dest, '.bindplane-distributed/lock');
    writeFileSync(lock, lockText(process.pid));
    const before = readFileSync(path.join(dest, '.yo-rc.json'), 'utf8');
    const r = cli([dest, '--defaults', '--instances', '5']);
    expect(r.status).toBe(BUSY_EXIT);
    expect(r.stderr).toBe(
      `bindplane-distributed: another bindplane-distributed run (pid ${process.pid}) is working on ${dest}; run again when it has finished (or, if no such run exists, delete ${lock})\n`,
    );
    expect(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8')).toBe(before);
    expect(readFileSync(lock, 'utf8')).toBe(lockText(process.pid));
    // Another host's run cannot be checked: busy, naming the host.
    writeFileSync(lock, lockText(process.pid, 'elsewhere'));
    expect(cli([dest, '--check']).stderr).toMatch(/another bindplane-distributed run \(pid \d+ on elsewhere\)/);
    writeFileSync(lock, lockText(deadPid()));
    const again = cli([dest, '--defaults', '--instances', '5']);
    expect(again.status, again.stderr).toBe(0);
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(path.dirname(dest))).toEqual(['stack']);
    // A run killed between writing its own file and linking it leaves lock.<pid>: the next run removes it.
    writeFileSync(`${lock}.${deadPid()}`, lockText(deadPid()));
    writeFileSync(`${lock}.${process.pid}`, lockText(process.pid));
    expect(cli([dest, '--check']).status).toBe(0);
    expect(readdirSync(path.dirname(lock)).filter((f) => f.startsWith('lock'))).toEqual([`lock.${process.pid}`]);
    rmSync(`${lock}.${process.pid}`);
    // A dead run's lock in a folder without a stack: cleared, and its folder with it.
    const bare = path.join(tempDir('bpd-lock-'), 'bare');
    mkdirSync(path.join(bare, '.bindplane-distributed'), { recursive: true });
    writeFileSync(path.join(bare, '.bindplane-distributed/lock'), lockText(deadPid()));
    expect(cli([bare, '--check']).status).toBe(2);
    expect(readdirSync(bare)).toEqual([]);
  });

  it('a first generation is locked through its staging folder beside the destination, and a dead one is thrown away', () => {
    const parent = tempDir('bpd-lock-fresh-');
    const dest = path.join(parent, 'stack');
    const staging = path.join(parent, '.stack.bindplane-distributed-new');
    mkdirSync(path.join(staging, '.bindplane-distributed'), { recursive: true });
    writeFileSync(path.join(staging, '.bindplane-distributed/lock'), lockText(process.pid));
    const r = cli([dest, '--defaults']);
    expect(r.status).toBe(BUSY_EXIT);
    expect(r.stderr).toContain(`(or, if no such run exists, delete ${staging})`);
    expect(existsSync(dest)).toBe(false);
    writeFileSync(path.join(staging, '.bindplane-distributed/lock'), lockText(deadPid()));
    writeFileSync(path.join(staging, 'half-written'), 'x');
    const again = cli([dest, '--defaults']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('rolled back an interrupted update');
    expect(readdirSync(parent)).toEqual(['stack']);
    expect(existsSync(path.join(dest, 'half-written'))).toBe(false);
    expect(readdirSync(path.join(dest, '.bindplane-distributed')).sort()).toEqual(['base.txt', 'record.json']);
  });

  it('a staging folder without a lock is left for the person to judge; bad input leaves nothing, not even missing parents', () => {
    const parent = tempDir('bpd-lock-odd-');
    mkdirSync(path.join(parent, '.stack.bindplane-distributed-new'));
    writeFileSync(path.join(parent, '.stack.bindplane-distributed-new/x'), 'x');
    const r = cli([path.join(parent, 'stack'), '--defaults']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /\.stack\.bindplane-distributed-new is left from an interrupted first generation of .*; if no bindplane-distributed run is working on it, delete it and run again/,
    );
    const bad = cli([path.join(parent, 'a/b/stack'), '--defaults', '--instances', '0']);
    expect(bad.status).toBe(2);
    expect(readdirSync(parent)).toEqual(['.stack.bindplane-distributed-new']);
    // An existing folder with no stack keeps no trace of the lock either.
    mkdirSync(path.join(parent, 'empty'));
    expect(cli([path.join(parent, 'empty'), '--defaults', '--instances', '0']).status).toBe(2);
    expect(cli([path.join(parent, 'empty'), '--check']).status).toBe(2);
    expect(readdirSync(path.join(parent, 'empty'))).toEqual([]);
  });
});
