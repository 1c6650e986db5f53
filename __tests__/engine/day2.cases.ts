// Day-2 operations on the engine: make upgrade and make restart under a client loop (no failed
// request, none slower than 1 s), a failed upgrade that stops before any node, backup and restore
// with the real PostgreSQL, the doctor's checks made to fail for real, and secret rotation.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect, it } from 'vitest';
// @ts-expect-error plain ESM module without types
import { BINDPLANE_VERSIONS, BROKEN_RELEASE, UPGRADE_FROM } from './lib/specs.mjs';
import { clientLoop, engineEnv, exec, get, mustExec, Stack, type LoopResult } from './helpers.js';

const SLOW_MS = 1_000;
const NODES = ['bindplane-1', 'bindplane-2', 'bindplane-3'];
const summary = (r: LoopResult) =>
  `${r.total} requests, ${r.failed.length} failed, slowest ${r.slowest} ms, versions ${[...r.versions].join(' ')}; failures: ${JSON.stringify(r.failed.slice(0, 5))}`;

/** The release each node instance reports through the load balancer (bounded burst). */
async function nodeVersions(stack: Stack): Promise<Map<string, string>> {
  const ids = await stack.instancesById();
  const seen = new Map<string, string>();
  for (let i = 0; i < 80 && seen.size < NODES.length; i++) {
    const r = await get(`${stack.url}/health`);
    if (r.status === 200 && r.instance) seen.set(ids.get(r.instance) ?? r.instance, r.version ?? '?');
  }
  return seen;
}

const psql = (stack: Stack, sql: string) =>
  exec('docker', ['compose', 'exec', '-T', 'postgres', 'psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-U', 'bindplane', '-d', 'bindplane', '-c', sql], {
    cwd: stack.dir,
  });
const envValue = (stack: Stack, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(path.join(stack.dir, '.env'), 'utf8'))![1]!;

/** make upgrade and make restart under a client loop (needs a quiet machine), and a failed upgrade. */
export function upgradeCases(): void {
  it('make upgrade: jobs first, then each node; 0 failed requests, none slower than 1 s; a broken release stops before any node', async () => {
    const stack = await Stack.create('e-upgrade', { eventBus: 'nats', instances: 3, transformAgents: 1, httpPort: 18231, bindplaneVersion: UPGRADE_FROM });
    await stack.mustMake('start');
    expect([...(await nodeVersions(stack)).values()]).toEqual([UPGRADE_FROM, UPGRADE_FROM, UPGRADE_FROM]);

    const target = BINDPLANE_VERSIONS.bash as string;
    await stack.regenerate('--bindplane-version', target);
    let loop = clientLoop(`${stack.url}/health`, { workers: 3, pauseMs: 10, maxMs: 600_000 });
    const t0 = Date.now();
    const up = await stack.mustMake('upgrade', [], { timeoutMs: 600_000 });
    const upgradeMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 2_000));
    let r = await loop.stop();
    console.log(`upgrade ${UPGRADE_FROM} -> ${target} in ${(upgradeMs / 1000).toFixed(1)} s: ${summary(r)}`);
    expect(r.failed, summary(r)).toEqual([]);
    expect(r.slowest, summary(r)).toBeLessThan(SLOW_MS);
    expect(up.stdout).toMatch(/^== bindplane-jobs\n[^]*^== transform-agent-1\n[^]*^== bindplane-1\n[^]*^== bindplane-2\n[^]*^== bindplane-3$/m);
    expect(up.stdout).toMatch(/backup: backups\/e-upgrade-\d{8}T\d{6}Z\.dump/);
    const versions = await nodeVersions(stack);
    expect([...versions.keys()].sort()).toEqual(NODES);
    expect([...new Set(versions.values())]).toEqual([target]);

    // make restart: the same rolling replacement, no downtime.
    loop = clientLoop(`${stack.url}/health`, { workers: 3, pauseMs: 10, maxMs: 600_000 });
    const t1 = Date.now();
    await stack.mustMake('restart', [], { timeoutMs: 600_000 });
    const restartMs = Date.now() - t1;
    await new Promise((res) => setTimeout(res, 2_000));
    r = await loop.stop();
    console.log(`rolling restart in ${(restartMs / 1000).toFixed(1)} s: ${summary(r)}`);
    expect(r.failed, summary(r)).toEqual([]);
    expect(r.slowest, summary(r)).toBeLessThan(SLOW_MS);

    // A release whose jobs instance never becomes healthy: the nodes are not touched.
    const nodesBefore = new Map((await stack.ps()).filter((p) => NODES.includes(p.Service)).map((p) => [p.Service, p.ID]));
    await stack.regenerate('--bindplane-version', BROKEN_RELEASE);
    const failed = await stack.make('upgrade', ['WAIT=40', 'BACKUP=no'], { timeoutMs: 300_000 });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('no node was touched');
    expect(failed.stderr).toContain(`To go back: regenerate with the release the nodes still run (ghcr.io/observiq/bindplane-ee:${target})`);
    const nodesAfter = new Map((await stack.ps()).filter((p) => NODES.includes(p.Service)).map((p) => [p.Service, p.ID]));
    expect(nodesAfter).toEqual(nodesBefore);
    expect([...new Set((await nodeVersions(stack)).values())]).toEqual([target]);
    // Going back as it says.
    await stack.regenerate('--bindplane-version', target);
    await stack.mustMake('upgrade', ['BACKUP=no'], { timeoutMs: 600_000 });
    expect((await stack.ps()).find((p) => p.Service === 'bindplane-jobs')?.Health).toBe('healthy');
    await stack.destroy();
  }, 900_000);
}

/** Backup, restore, rotation and the doctor (no timing limits). */
export function backupDoctorCases(): void {
  it('make backup and make restore: rows come back after delete and start; a file that is not a dump changes nothing', async () => {
    const stack = await Stack.create('e-backup', { eventBus: 'nats', instances: 1, transformAgents: 0, httpPort: 18232 });
    await stack.mustMake('start');
    await mustExec(
      'docker',
      [
        'compose',
        'exec',
        '-T',
        'postgres',
        'psql',
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        '-U',
        'bindplane',
        '-d',
        'bindplane',
        '-c',
        'CREATE TABLE kept (n int); INSERT INTO kept SELECT generate_series(1, 1000);',
      ],
      { cwd: stack.dir },
    );
    const t0 = Date.now();
    const b = await stack.mustMake('backup');
    const backupMs = Date.now() - t0;
    const file = /backup: (backups\/e-backup-\d{8}T\d{6}Z\.dump)/.exec(b.stdout)?.[1];
    expect(file, b.stdout).toBeDefined();
    const abs = path.join(stack.dir, file!);
    expect(statSync(abs).mode & 0o777).toBe(0o600);
    expect(readFileSync(abs).subarray(0, 5).toString()).toBe('PGDMP');
    execFileSync('git', ['init', '-q'], { cwd: stack.dir });
    expect(execFileSync('git', ['check-ignore', file!], { cwd: stack.dir, encoding: 'utf8' }).trim()).toBe(file);

    // Made after the backup (as a migration would): the restore removes it.
    await mustExec(
      'docker',
      ['compose', 'exec', '-T', 'postgres', 'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-U', 'bindplane', '-d', 'bindplane', '-c', 'CREATE TABLE later (n int);'],
      { cwd: stack.dir },
    );
    const beforeRestore = await stack.make('restore', [`FILE=${file}`, 'CONFIRM=yes'], { timeoutMs: 300_000 });
    expect(beforeRestore.code, beforeRestore.stderr).toBe(0);
    expect((await psql(stack, 'SELECT count(*) FROM later')).code).not.toBe(0);
    expect((await psql(stack, 'SELECT count(*) FROM kept')).stdout.trim()).toBe('1000');

    await stack.mustMake('delete', ['CONFIRM=yes']);
    await stack.mustMake('start');
    expect((await psql(stack, 'SELECT count(*) FROM kept')).code).not.toBe(0);

    // Not a dump: refused before anything stops, nothing changes.
    writeFileSync(path.join(stack.dir, 'backups/not-a-dump.dump'), 'hello\n');
    const bad = await stack.make('restore', ['FILE=backups/not-a-dump.dump', 'CONFIRM=yes']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('is not a PostgreSQL custom-format dump');
    expect((await stack.ps()).filter((p) => p.Service.startsWith('bindplane-')).every((p) => p.State === 'running')).toBe(true);
    // Asked, and answered no: nothing restored.
    const no = await stack.make('restore', [`FILE=${file}`], { input: 'no\n' });
    expect(no.code).toBe(0);
    expect(no.stdout).toContain('Nothing was restored.');
    expect((await psql(stack, 'SELECT count(*) FROM kept')).code).not.toBe(0);

    const t1 = Date.now();
    await stack.mustMake('restore', [`FILE=${file}`, 'CONFIRM=yes'], { timeoutMs: 300_000 });
    const restoreMs = Date.now() - t1;
    expect((await psql(stack, 'SELECT count(*) FROM kept')).stdout.trim()).toBe('1000');
    expect((await stack.ps()).filter((p) => p.Service.startsWith('bindplane-')).map((p) => p.Health)).toEqual(['healthy', 'healthy']);
    console.log(`backup in ${(backupMs / 1000).toFixed(1)} s, restore (stop, restore, start healthy) in ${(restoreMs / 1000).toFixed(1)} s`);

    // The doctor on a running, healthy stack: every check holds.
    const ok = await stack.make('doctor');
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain("port 18232 is this stack's load balancer");

    // Secret rotation: the database password changes in the running database and in .env.
    const old = envValue(stack, 'POSTGRES_PASSWORD');
    const rot = await stack.regenerate('--rotate-secret', 'POSTGRES_PASSWORD');
    expect(rot.stdout).toMatch(/rotated POSTGRES_PASSWORD/);
    expect(rot.stdout + rot.stderr).not.toContain(old);
    const fresh = envValue(stack, 'POSTGRES_PASSWORD');
    expect(rot.stdout + rot.stderr).not.toContain(fresh);
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(statSync(path.join(stack.dir, '.env')).mode & 0o777).toBe(0o600);
    await stack.mustMake('restart');
    expect((await stack.ps()).filter((p) => p.Service.startsWith('bindplane-')).map((p) => p.Health)).toEqual(['healthy', 'healthy']);
    const login = (password: string) =>
      exec(
        'docker',
        ['compose', 'exec', '-T', 'postgres', 'psql', '-X', `host=127.0.0.1 user=bindplane password=${password} dbname=bindplane`, '-Atc', 'SELECT 1'],
        { cwd: stack.dir },
      );
    expect((await login(fresh)).code).toBe(0);
    const refused = await login(old);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/password authentication failed/);
    await stack.destroy();
  }, 600_000);

  it('make doctor: each failure made real gives its line and a non-zero exit; make start refuses conflict markers', async () => {
    const stack = await Stack.create('e-doctor', { eventBus: 'nats', instances: 1, transformAgents: 0, httpPort: 18233 });
    const doctor = async (env: NodeJS.ProcessEnv = {}) => exec('make', ['--no-print-directory', 'doctor'], { cwd: stack.dir, env: { ...engineEnv(), ...env } });

    // Port taken by another program.
    const server = net.createServer().listen(18233, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    let d = await doctor();
    server.close();
    expect(d.code).not.toBe(0);
    expect(d.stdout).toContain('FAIL  port 18233 is taken by another program');
    expect(d.stdout).toMatch(/fix: stop it, or regenerate with --http-port/);

    // No daemon.
    d = await doctor({ DOCKER_HOST: `unix://${stack.dir}/no-such.sock` });
    expect(d.code).not.toBe(0);
    expect(d.stdout).toMatch(/FAIL {2}the Docker daemon does not answer/);

    // .env missing, then with the wrong mode.
    renameSync(path.join(stack.dir, '.env'), path.join(stack.dir, 'env.saved'));
    d = await doctor();
    expect(d.code).not.toBe(0);
    expect(d.stdout).toContain('FAIL  .env is missing');
    renameSync(path.join(stack.dir, 'env.saved'), path.join(stack.dir, '.env'));
    chmodSync(path.join(stack.dir, '.env'), 0o644);
    d = await doctor();
    expect(d.stdout).toContain('FAIL  .env has mode 644');
    chmodSync(path.join(stack.dir, '.env'), 0o600);

    // A conflict marker left in a generated file: the doctor says so, and make start refuses.
    const conf = path.join(stack.dir, 'nginx/nginx.conf');
    const text = readFileSync(conf, 'utf8');
    writeFileSync(conf, `<<<<<<< yours (the file as you edited it)\n${text}`);
    d = await doctor();
    expect(d.code).not.toBe(0);
    expect(d.stdout).toMatch(/FAIL {2}conflict markers are left: nginx\/nginx.conf/);
    const start = await stack.make('start');
    expect(start.code).not.toBe(0);
    expect(start.stderr).toContain('Conflict markers are left in: nginx/nginx.conf');
    expect((await stack.ps()).length).toBe(0);
    writeFileSync(conf, text);

    // All put right: exit 0.
    d = await doctor();
    expect(d.code, d.stdout).toBe(0);
    expect(d.stdout).toContain('doctor: everything make start needs is in place');
    expect(existsSync(path.join(stack.dir, 'backups')) ? readdirSync(path.join(stack.dir, 'backups')) : []).toEqual([]);
    await stack.destroy();
  }, 300_000);
}
