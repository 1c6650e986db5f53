// PostgreSQL as the stack's postgres service makes it, and Bindplane's connection settings
// (bindplane/bindplane.env plus the password from .env) against it.
//
// A throwaway cluster (Debian's PostgreSQL 15 binaries; the stack's image is postgres:16) is set
// up the way the official image's entrypoint does it: `initdb` with POSTGRES_USER as superuser and
// POSTGRES_PASSWORD as its password, `host all all all scram-sha-256` appended to pg_hba.conf,
// then the POSTGRES_DB database created; the server runs with the compose service's own command
// (`postgres -c max_connections=...`).
// It runs in a private network namespace, so it listens on the very port bindplane.env names
// (5432) without touching the host's, and a private /etc/hosts maps the service name that
// bindplane.env gives as BINDPLANE_POSTGRES_HOST ("postgres") to 127.0.0.1 — in compose that name
// resolves to the postgres container's address on the backend network; here the server is on
// this namespace's loopback. The image's socket folder /var/run/postgresql is a private folder in
// that namespace, so the compose healthcheck runs unchanged.
import { appendFileSync, chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, generateStack, tempDir } from '../helpers/stack.js';
import {
  interpolate,
  mustRun,
  nsArgv,
  nsRun,
  readCompose,
  readEnvFile,
  recordDescendants,
  requireFile,
  requireTool,
  runAsync,
  startInNamespace,
  stopServer,
  waitFor,
  type Namespace,
} from './helpers.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const INSTANCES = 2;
// A small pool per instance, so the test can open every instance's whole pool at once.
const POOL = 5;

let stack: string;
let ns: Namespace;
let secrets: Record<string, string>;
let bp: Record<string, string>;
let pgEnv: { user: string; db: string; password: string };
let serverArgs: string[];
let healthcheck: string;

/** psql inside the namespace with a libpq connection string; PGPASSWORD as given. */
function psql(conninfo: string, sql: string, password: string | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env, PGCONNECT_TIMEOUT: '5' };
  delete env.PGPASSWORD;
  delete env.PGPASSFILE;
  if (password !== undefined) env.PGPASSWORD = password;
  env.PGPASSFILE = '/dev/null';
  return nsRun(ns.nsPid, 'psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', conninfo, '-c', sql], { env, timeoutMs: 20_000 });
}

/** The connection string Bindplane builds from bindplane.env, exactly those values. */
const bindplaneConninfo = () =>
  `host=${bp.BINDPLANE_POSTGRES_HOST} port=${bp.BINDPLANE_POSTGRES_PORT} dbname=${bp.BINDPLANE_POSTGRES_DATABASE} user=${bp.BINDPLANE_POSTGRES_USERNAME} sslmode=${bp.BINDPLANE_POSTGRES_SSL_MODE}`;

beforeAll(async () => {
  for (const b of ['initdb', 'postgres']) requireFile(path.join(PG_BIN, b), 'apt-get install postgresql-15 (scripts/ensure-validators.mjs)');
  for (const t of ['runuser', 'psql', 'pg_isready']) requireTool(t);
  const ids = mustRun('id', ['-u', 'postgres']).trim();
  const gid = Number(mustRun('id', ['-g', 'postgres']).trim());

  stack = await generateStack({ instances: INSTANCES, postgresMaxConnections: POOL });
  const compose = readCompose(stack);
  secrets = readEnvFile(path.join(stack, '.env'));
  bp = readEnvFile(path.join(stack, 'bindplane/bindplane.env'));
  const service = compose.services.postgres;
  const env = service.environment as Record<string, string>;
  pgEnv = {
    user: interpolate(env.POSTGRES_USER!, secrets),
    db: interpolate(env.POSTGRES_DB!, secrets),
    password: interpolate(env.POSTGRES_PASSWORD!, secrets),
  };
  expect(pgEnv.password.length).toBeGreaterThanOrEqual(16);
  const command = service.command as string[];
  expect(command[0]).toBe('postgres');
  serverArgs = command.slice(1);
  const test = service.healthcheck.test as string[];
  expect(test[0]).toBe('CMD-SHELL');
  healthcheck = test[1]!;

  // Folders the postgres user owns, below a temp folder it can traverse.
  const root = tempDir('bpd-pg-');
  chmodSync(root, 0o755);
  const uid = Number(ids);
  const data = path.join(root, 'data');
  const socketDir = path.join(root, 'run');
  for (const d of [data, socketDir]) {
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, uid, gid);
  }
  chmodSync(socketDir, 0o2775);
  const pwfile = path.join(root, 'pwfile');
  writeFileSync(pwfile, `${pgEnv.password}\n`, { mode: 0o600 });
  chownSync(pwfile, uid, gid);

  // The image's entrypoint: initdb --username=$POSTGRES_USER --pwfile=<password>.
  mustRun(
    'runuser',
    [
      '-u',
      'postgres',
      '--',
      path.join(PG_BIN, 'initdb'),
      '-D',
      data,
      `--username=${pgEnv.user}`,
      `--pwfile=${pwfile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '-E',
      'UTF8',
    ],
    {
      timeoutMs: 60_000,
    },
  );
  // The image's pg_hba.conf addition (POSTGRES_HOST_AUTH_METHOD defaults to scram-sha-256).
  appendFileSync(path.join(data, 'pg_hba.conf'), '\nhost all all all scram-sha-256\n');

  ns = await startInNamespace('postgres', root, {
    hosts: { postgres: '127.0.0.1' },
    mounts: [{ source: socketDir, target: '/var/run/postgresql' }],
    // The compose command's arguments, plus the image's listen_addresses='*'.
    cmd: 'runuser',
    args: ['-u', 'postgres', '--', path.join(PG_BIN, 'postgres'), '-D', data, '-c', 'listen_addresses=*', ...serverArgs],
    lifetimeSeconds: 180,
    // Fast shutdown.
    stopSignal: 'SIGINT',
  });
  await waitFor('postgres to accept connections', () => nsRun(ns.nsPid, 'pg_isready', ['-q', '-h', '/var/run/postgresql']).status === 0 || undefined, {
    server: ns.server,
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  recordDescendants(ns.server);
  // The image's entrypoint then creates POSTGRES_DB (over the local socket, as the superuser).
  mustRun(
    'nsenter',
    nsArgv(ns.nsPid, 'psql', [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      '/var/run/postgresql',
      '-U',
      pgEnv.user,
      '-d',
      'postgres',
      '-c',
      `CREATE DATABASE "${pgEnv.db}"`,
    ]),
  );
});

afterAll(async () => {
  if (ns) await stopServer(ns.server);
  cleanupTempDirs();
});

describe('PostgreSQL as the stack runs it', () => {
  it('passes the compose healthcheck, run unchanged', () => {
    const r = nsRun(ns.nsPid, 'sh', ['-c', healthcheck]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/accepting connections/);
  });

  it('applies max_connections from the compose command, with room for every pool', () => {
    const want = /max_connections=(\d+)/.exec(serverArgs.join(' '))?.[1];
    expect(want).toBeDefined();
    const r = psql(bindplaneConninfo(), 'SHOW max_connections', secrets.POSTGRES_PASSWORD);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(want);
    // The jobs instance plus every node may each open BINDPLANE_POSTGRES_MAX_CONNECTIONS.
    const processes = Object.keys(readCompose(stack).services).filter((s) => /^bindplane-(\d+|jobs)$/.test(s)).length;
    expect(processes).toBe(INSTANCES + 1);
    expect(Number(want)).toBeGreaterThan(processes * Number(bp.BINDPLANE_POSTGRES_MAX_CONNECTIONS));
  });
});

describe("Bindplane's connection settings", () => {
  it('name the service, the port, database and user that the postgres service creates', () => {
    expect(bp.BINDPLANE_POSTGRES_HOST).toBe('postgres');
    expect(Object.keys(readCompose(stack).services)).toContain(bp.BINDPLANE_POSTGRES_HOST);
    expect(bp.BINDPLANE_POSTGRES_PORT).toBe('5432');
    expect(bp.BINDPLANE_POSTGRES_DATABASE).toBe(pgEnv.db);
    expect(bp.BINDPLANE_POSTGRES_USERNAME).toBe(pgEnv.user);
    // compose passes .env's POSTGRES_PASSWORD to every Bindplane process as BINDPLANE_POSTGRES_PASSWORD.
    const services = readCompose(stack).services;
    for (const name of Object.keys(services).filter((s) => /^bindplane-(\d+|jobs)$/.test(s)))
      expect(interpolate(services[name].environment.BINDPLANE_POSTGRES_PASSWORD, secrets), name).toBe(secrets.POSTGRES_PASSWORD);
  });

  it('connect over TCP with exactly those values and the password from .env', () => {
    const r = psql(
      bindplaneConninfo(),
      "SELECT current_user, current_database(), inet_server_addr(), inet_server_port(), coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())::text, 'none')",
      secrets.POSTGRES_PASSWORD,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${pgEnv.user}|${pgEnv.db}|127.0.0.1|5432|false`);
  });

  it('may create its schema (the jobs instance runs the migrations)', () => {
    const r = psql(
      bindplaneConninfo(),
      'CREATE TABLE bpd_probe (id int); INSERT INTO bpd_probe VALUES (1); SELECT count(*) FROM bpd_probe; DROP TABLE bpd_probe',
      secrets.POSTGRES_PASSWORD,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('1');
  });

  it('are refused with a wrong password or none (the password is what let them in)', () => {
    const wrong = psql(bindplaneConninfo(), 'SELECT 1', `${secrets.POSTGRES_PASSWORD}x`);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed/);
    const none = psql(bindplaneConninfo(), 'SELECT 1', undefined);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/password/);
  });

  it('let every Bindplane process open its whole pool at once, with psql to spare', async () => {
    const total = (INSTANCES + 1) * Number(bp.BINDPLANE_POSTGRES_MAX_CONNECTIONS);
    const env = { ...process.env, PGPASSWORD: secrets.POSTGRES_PASSWORD, PGPASSFILE: '/dev/null', PGCONNECT_TIMEOUT: '10' };
    const sessions = Array.from({ length: total + 1 }, () =>
      runAsync('nsenter', nsArgv(ns.nsPid, 'psql', ['-X', '-A', '-t', '-d', bindplaneConninfo(), '-c', 'SELECT pg_sleep(2), 1']), { env, timeoutMs: 30_000 }),
    );
    const results = await Promise.all(sessions);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
  });
});
