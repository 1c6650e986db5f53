#!/usr/bin/env node
// Self-test of standin.mjs outside Docker: runs each role on 127.0.0.x against real local servers
// (PostgreSQL 15, Prometheus, nats-server, the Pub/Sub emulator) and checks that right wiring turns
// /health to 200 and each wrong value keeps it 503 with a clear reason.
//   node __tests__/engine/images/standin/selftest.mjs [--only NAME,NAME] [--keep]
// Needs root (PostgreSQL runs as the postgres user), psql, initdb/postgres from
// /usr/lib/postgresql/15/bin, prometheus, nats-server, openssl; the Pub/Sub emulator and java for
// the pubsub group (skipped with a message when absent). Binds only to loopback addresses; every
// process it starts runs in its own process group and is stopped by its id at the end (also on
// failure or interruption). Prints "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import * as S from './standin.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STANDIN = path.join(HERE, 'standin.mjs');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const keep = args.includes('--keep');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'bpd-standin-selftest-'));
fs.chmodSync(WORK, 0o755); // PostgreSQL runs as the postgres user below it
const PG_BIN = '/usr/lib/postgresql/15/bin';
const EMULATOR = '/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator';
const DEADLINE = Date.now() + 15 * 60_000; // the whole run stops by itself
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Processes: own process group each, killed by id at the end

const procs = new Set();
function killGroup(p, sig = 'SIGKILL') {
  try {
    process.kill(-p.pid, sig);
  } catch {}
}
function killAll() {
  for (const p of procs) killGroup(p);
  procs.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
setTimeout(() => {
  console.error('selftest: overall deadline reached');
  process.exit(1);
}, DEADLINE - Date.now()).unref();

function start(name, cmd, argv, { env, uid, gid, cwd } = {}) {
  const logFile = path.join(WORK, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const p = spawn(cmd, argv, { env: env ?? { PATH: process.env.PATH, HOME: process.env.HOME ?? '/root' }, stdio: ['ignore', out, out], detached: true, uid, gid, cwd });
  fs.closeSync(out);
  p.name = name;
  p.logFile = logFile;
  p.exited = null;
  p.on('exit', (code, sig) => {
    p.exited = { code, sig };
    procs.delete(p);
  });
  procs.add(p);
  return p;
}
const logOf = (p) => fs.readFileSync(p.logFile, 'utf8');

async function stop(p, timeoutMs = 5000) {
  if (p.exited) return p.exited;
  killGroup(p, 'SIGTERM');
  const t0 = Date.now();
  while (!p.exited && Date.now() - t0 < timeoutMs) await sleep(50);
  if (!p.exited) {
    killGroup(p, 'SIGKILL');
    while (!p.exited) await sleep(50);
    return { ...p.exited, forced: true };
  }
  return p.exited;
}

function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what, fn, timeoutMs = 20_000, intervalMs = 250) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

async function get(url, opts = {}) {
  const r = await S.httpRequest(opts.method ?? 'GET', url, { timeoutMs: 3000, ...opts });
  let json;
  try {
    json = JSON.parse(r.body.toString());
  } catch {}
  return { ...r, json, text: r.body.toString() };
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// ---------------------------------------------------------------------------------------------
// Tests

const tests = [];
const test = (group, name, fn) => tests.push({ group, name, fn });
let passed = 0;
let failed = 0;

// Shared local servers, started on demand.
const svc = {};

function startPostgres() {
  return (svc.pgp ??= startPostgresOnce());
}
async function startPostgresOnce() {
  const dir = path.join(WORK, 'pg');
  fs.mkdirSync(dir);
  const pw = path.join(dir, 'pw');
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(pw, 'superpw\n');
  spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const init = spawnSync(`${PG_BIN}/initdb`, ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pw}`], { uid, gid, encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C.UTF-8' }, timeout: 60_000 });
  assert(init.status === 0, `initdb: ${init.stderr}`);
  const port = await freePort();
  const p = start('postgres', `${PG_BIN}/postgres`, ['-D', path.join(dir, 'data'), '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=60'], { uid, gid });
  const su = (sql, db = 'postgres') => spawnSync('psql', ['-X', '-w', '-v', 'ON_ERROR_STOP=1', '-Atc', sql, `host=127.0.0.1 port=${port} user=postgres dbname=${db}`], { encoding: 'utf8', env: { PATH: process.env.PATH, PGPASSWORD: 'superpw' } });
  await waitFor('postgres', () => su('SELECT 1').status === 0, 30_000);
  for (const sql of ["CREATE ROLE bindplane LOGIN PASSWORD 'bppw'", ...['bindplane', 'fresh', 'fresh2', 'http1', 'tls1', 'cli1', 'agents1'].map((db) => `CREATE DATABASE ${db} OWNER bindplane`)]) {
    const r = su(sql);
    assert(r.status === 0, `${sql}: ${r.stderr}`);
  }
  svc.pg = { port, proc: p, su };
  return svc.pg;
}

function startPrometheus() {
  return (svc.promp ??= startPrometheusOnce());
}
async function startPrometheusOnce() {
  const dir = path.join(WORK, 'prom');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  const p = start('prometheus', 'prometheus', [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`, '--web.enable-remote-write-receiver']);
  await waitFor('prometheus ready', async () => (await get(`http://127.0.0.1:${port}/-/ready`)).status === 200, 30_000);
  svc.prom = { port, proc: p };
  return svc.prom;
}

function startEmulator() {
  return (svc.emup ??= startEmulatorOnce());
}
async function startEmulatorOnce() {
  const port = await freePort();
  const p = start('pubsub-emulator', EMULATOR, ['--host=127.0.0.1', `--port=${port}`], { env: { PATH: process.env.PATH, HOME: WORK } });
  await waitFor('pubsub emulator', async () => (await get(`http://127.0.0.1:${port}/`)).status === 200, 90_000, 500);
  const created = await get(`http://127.0.0.1:${port}/v1/projects/proj-1/topics/bp-topic`, { method: 'PUT', body: '{}', headers: { 'Content-Type': 'application/json' } });
  assert(created.status === 200 || created.status === 409, `create topic: ${created.status} ${created.text}`);
  svc.emu = { port, proc: p };
  return svc.emu;
}

// The server-level key of older stacks: set on some servers below, never accepted from an agent.
const SECRET = 'secret-key-1234';
async function baseEnv(instance, extra = {}) {
  const pg = await startPostgres();
  const prom = await startPrometheus();
  return {
    PATH: process.env.PATH,
    HOME: '/root',
    BPD_STANDIN_ROLE: 'bindplane',
    BPD_STANDIN_VERSION: '1.2.3-test',
    BPD_STANDIN_INSTANCE: instance,
    BINDPLANE_MODE: 'all',
    BINDPLANE_ACCEPT_EULA: 'true',
    BINDPLANE_HOST: '127.0.0.1',
    BINDPLANE_PORT: String(await freePort()),
    BINDPLANE_REMOTE_URL: 'http://127.0.0.1:8080',
    BINDPLANE_LOGGING_OUTPUT: 'stdout',
    BINDPLANE_LICENSE: 'license',
    BINDPLANE_USERNAME: 'admin',
    BINDPLANE_PASSWORD: 'adminpw',
    BINDPLANE_SESSION_SECRET: 'session-secret',
    BINDPLANE_STORE_TYPE: 'postgres',
    BPD_STANDIN_TYPES_DELAY_MS: '1000',
    BINDPLANE_POSTGRES_HOST: '127.0.0.1',
    BINDPLANE_POSTGRES_PORT: String(pg.port),
    BINDPLANE_POSTGRES_DATABASE: 'bindplane',
    BINDPLANE_POSTGRES_USERNAME: 'bindplane',
    BINDPLANE_POSTGRES_PASSWORD: 'bppw',
    BINDPLANE_POSTGRES_SSL_MODE: 'disable',
    BINDPLANE_POSTGRES_MAX_CONNECTIONS: '20',
    BINDPLANE_PROMETHEUS_ENABLE: 'true',
    BINDPLANE_PROMETHEUS_ENABLE_REMOTE: 'true',
    BINDPLANE_PROMETHEUS_HOST: '127.0.0.1',
    BINDPLANE_PROMETHEUS_PORT: String(prom.port),
    BINDPLANE_PROMETHEUS_REMOTE_WRITE_HOST: '127.0.0.1',
    BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT: String(prom.port),
    BINDPLANE_PROMETHEUS_REMOTE_WRITE_ENDPOINT: '/api/v1/write',
    BINDPLANE_PROMETHEUS_AUTH_TYPE: 'none',
    ...extra,
  };
}

/** A bindplane stand-in whose bus is a NATS server of its own (on free loopback ports). */
async function natsEnv(instance, extra = {}) {
  const [c, h, k] = [await freePort(), await freePort(), await freePort()];
  return baseEnv(instance, {
    BINDPLANE_EVENT_BUS_TYPE: 'nats',
    BINDPLANE_NATS_SERVER_ENABLE: 'true',
    BINDPLANE_NATS_SERVER_NAME: instance,
    BINDPLANE_NATS_SERVER_CLIENT_HOST: '127.0.0.1',
    BINDPLANE_NATS_SERVER_CLIENT_PORT: String(c),
    BINDPLANE_NATS_SERVER_HTTP_HOST: '127.0.0.1',
    BINDPLANE_NATS_SERVER_HTTP_PORT: String(h),
    BINDPLANE_NATS_SERVER_CLUSTER_NAME: 'selftest',
    BINDPLANE_NATS_SERVER_CLUSTER_HOST: '127.0.0.1',
    BINDPLANE_NATS_SERVER_CLUSTER_PORT: String(k),
    BINDPLANE_NATS_SERVER_CLUSTER_ROUTES: `nats://127.0.0.1:${k}`,
    BINDPLANE_NATS_CLIENT_NAME: instance,
    BINDPLANE_NATS_CLIENT_ENDPOINT: `nats://localhost:${c}`,
    BINDPLANE_NATS_CLIENT_SUBJECT: 'bindplane-event-bus',
    ...extra,
  });
}

function startBindplane(env) {
  const p = start(`bindplane-${env.BPD_STANDIN_INSTANCE}`, process.execPath, [STANDIN], { env });
  p.url = `http://127.0.0.1:${env.BINDPLANE_PORT}`;
  p.env = env;
  return p;
}

/** Runs the stand-in's `bindplane` CLI; the server's URL and credentials come by environment unless given. */
function cli(argv, { url, env = {}, input } = {}) {
  return new Promise((resolve) => {
    const e = { PATH: process.env.PATH, HOME: path.join(WORK, 'cli-home'), BINDPLANE_USERNAME: 'admin', BINDPLANE_PASSWORD: 'adminpw', ...(url ? { BINDPLANE_REMOTE_URL: url } : {}), ...env };
    for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
    const c = spawn(process.execPath, [STANDIN, 'cli', ...argv], { env: e, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code, stdout, stderr, all: `${stdout}${stderr}` }));
    c.stdin.end(input ?? '');
  });
}

/** The project's key, through `bindplane get projects -o json`. */
async function projectKey(url) {
  const r = await cli(['get', 'projects', '-o', 'json'], { url });
  assert(r.code === 0, `get projects: ${r.all}`);
  return JSON.parse(r.stdout)[0].secretKey;
}

async function createOrg(url, name = 'selftest') {
  const r = await cli(['create', 'organization', name], { url });
  assert(r.code === 0, `create organization: ${r.all}`);
  return projectKey(url);
}

async function healthy(p, timeoutMs = 20_000) {
  return waitFor(`${p.name} healthy`, async () => {
    if (p.exited) throw new Error(`exited ${JSON.stringify(p.exited)}\n${logOf(p)}`);
    const r = await get(`${p.url}/health`);
    return r.status === 200 ? r : undefined;
  }, timeoutMs).catch(async (e) => {
    let last = '';
    try {
      last = (await get(`${p.url}/health`)).text;
    } catch {}
    throw new Error(`${e.message}\nlast /health: ${last}\nlog:\n${logOf(p).split('\n').slice(-15).join('\n')}`);
  });
}

/** Waits until check `name` fails with a reason matching `re`, then makes sure /health stays 503. */
async function failsWith(p, name, re, timeoutMs = 15_000) {
  const r = await waitFor(`${p.name}: check ${name} failing with ${re}`, async () => {
    if (p.exited) throw new Error(`exited ${JSON.stringify(p.exited)}`);
    const h = await get(`${p.url}/health`);
    const f = (h.json?.failing ?? []).find((x) => x.check === name);
    return h.status === 503 && f && re.test(f.reason) ? f : undefined;
  }, timeoutMs);
  await sleep(1500);
  const again = await get(`${p.url}/health`);
  assert(again.status === 503, `health became ${again.status} although ${name} should fail`);
  assert(logOf(p).includes(`check ${name}: FAILED`), `no FAILED log line for ${name}`);
  return r.reason;
}

// Unit tests --------------------------------------------------------------------------------------

test('unit', 'snappy literal encoding round-trips, also past 64 KiB', () => {
  for (const n of [0, 1, 59, 60, 61, 255, 256, 257, 65535, 65536, 65537, 200_000]) {
    const b = Buffer.alloc(n, 0).map((_, i) => (i * 7) & 0xff);
    assert(S.snappyDecode(S.snappyEncode(b)).equals(b), `length ${n}`);
  }
});

test('unit', 'address order: random first pick, a failed address goes last', () => {
  const firsts = new Set();
  for (let i = 0; i < 200; i++) firsts.add(S.addressOrder(['a', 'b', 'c'])[0]);
  assert(firsts.size === 3, `first picks ${[...firsts]}`);
  for (let i = 0; i < 50; i++) assert(S.addressOrder(['a', 'b', 'c'], ['a']).at(-1) === 'a', 'failed one not last');
});

test('unit', 'config problems: misspelt names, mode, EULA, URL, store, booleans', () => {
  const good = { BINDPLANE_MODE: 'node', BINDPLANE_ACCEPT_EULA: 'true', BINDPLANE_LICENSE: 'l', BINDPLANE_USERNAME: 'u', BINDPLANE_PASSWORD: 'p', BINDPLANE_SESSION_SECRET: 's', BINDPLANE_SECRET_KEY: 'k', BINDPLANE_REMOTE_URL: 'https://bp.example.com', BINDPLANE_STORE_TYPE: 'postgres', BINDPLANE_EVENT_BUS_TYPE: 'nats', BINDPLANE_LOGGING_TYPE: 'stdout' };
  assert(S.bindplaneConfigProblems(good).length === 0, JSON.stringify(S.bindplaneConfigProblems(good)));
  const cases = [
    [{ BINDPLANE_SESSIONS_SECRET: 'x' }, /unknown variable BINDPLANE_SESSIONS_SECRET/],
    [{ BINDPLANE_LOG_OUTPUT: 'stdout' }, /unknown variable BINDPLANE_LOG_OUTPUT/],
    [{ BINDPLANE_MODE: 'jobs' }, /BINDPLANE_MODE/],
    [{ BINDPLANE_ACCEPT_EULA: 'yes' }, /BINDPLANE_ACCEPT_EULA/],
    [{ BINDPLANE_LICENSE: '' }, /BINDPLANE_LICENSE is empty/],
    [{ BINDPLANE_REMOTE_URL: 'bp.example.com:3001' }, /BINDPLANE_REMOTE_URL/],
    [{ BINDPLANE_STORE_TYPE: 'bbolt' }, /BINDPLANE_STORE_TYPE/],
    [{ BINDPLANE_PROMETHEUS_ENABLE: 'ja' }, /not a boolean/],
    [{ BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS: 't:4568' }, /would be ignored/],
  ];
  for (const [patch, re] of cases) {
    const p = S.bindplaneConfigProblems({ ...good, ...patch }).join('; ');
    assert(re.test(p), `${JSON.stringify(patch)} gave ${p}`);
  }
});

test('unit', 'agent labels validation', () => {
  assert(S.agentLabelsProblems('demo=true,project=my-stack').length === 0, 'good labels refused');
  assert(S.agentLabelsProblems('demo').length === 1, 'no = accepted');
  assert(S.agentLabelsProblems('de mo=1').length === 1, 'space accepted');
  assert(S.agentLabelsProblems('a=1,a=2').length === 1, 'duplicate accepted');
});

const kafkaBase = (id, host, extra = {}) => ({
  KAFKA_NODE_ID: String(id),
  KAFKA_PROCESS_ROLES: 'broker,controller',
  KAFKA_LISTENERS: `PLAINTEXT://${host}:9092,CONTROLLER://${host}:9093`,
  KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:9092`,
  KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
  KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
  KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
  KAFKA_CONTROLLER_QUORUM_VOTERS: `${id}@${host}:9093`,
  KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
  KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
  KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
  KAFKA_DEFAULT_REPLICATION_FACTOR: '1',
  KAFKA_MIN_INSYNC_REPLICAS: '1',
  KAFKA_LOG_DIRS: '/tmp/x',
  CLUSTER_ID: 'MkU3OEVBNTcwNTJENDM2Qk',
  ...extra,
});

test('unit', 'kafka config validation', () => {
  assert(S.kafkaConfig(kafkaBase(1, 'kafka-1')).problems.length === 0, JSON.stringify(S.kafkaConfig(kafkaBase(1, 'kafka-1')).problems));
  const cases = [
    [{ KAFKA_PROCESS_ROLES: 'broker' }, /must contain broker and controller/],
    [{ KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://kafka-1:9092,CONTROLLER://kafka-1:9093' }, /contains the controller listener/],
    [{ KAFKA_CONTROLLER_LISTENER_NAMES: 'CTRL' }, /CTRL, which is not in KAFKA_LISTENERS/],
    [{ KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT' }, /CONTROLLER has no entry/],
    [{ KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL' }, /INTERNAL is not in KAFKA_LISTENERS/],
    [{ KAFKA_CONTROLLER_QUORUM_VOTERS: '2@kafka-2:9093' }, /does not contain this node/],
    [{ KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka-1:9092' }, /not the controller listener's 9093/],
    [{ CLUSTER_ID: '' }, /CLUSTER_ID is empty/],
    [{ CLUSTER_ID: 'not-a-cluster-id' }, /not a KRaft cluster id/],
    [{ KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3' }, /more than the 1 voter/],
    [{ KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: undefined }, /unset: Kafka default/],
    [{ KAFKA_MIN_INSYNC_REPLICAS: '2' }, /KAFKA_MIN_INSYNC_REPLICAS 2 exceeds/],
    [{ KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://0.0.0.0:9092' }, /non-routable/],
    [{ KAFKA_NODE_ID: 'one' }, /KAFKA_NODE_ID/],
  ];
  for (const [patch, re] of cases) {
    const env = { ...kafkaBase(1, 'kafka-1'), ...patch };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const p = S.kafkaConfig(env).problems.join('; ');
    assert(re.test(p), `${JSON.stringify(patch)} gave ${p || 'no problem'}`);
  }
});

// bindplane: NATS ---------------------------------------------------------------------------------

test('nats', 'jobs + node (each a NATS server, routed) + client-only node: healthy, and messages cross instances', async () => {
  const a = await natsEnv('bp-jobs');
  const b = await natsEnv('bp-node1', { BINDPLANE_MODE: 'node' });
  const routes = `nats://127.0.0.1:${a.BINDPLANE_NATS_SERVER_CLUSTER_PORT},nats://127.0.0.1:${b.BINDPLANE_NATS_SERVER_CLUSTER_PORT}`;
  a.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES = routes;
  b.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES = routes;
  const c = await baseEnv('bp-node2', {
    BINDPLANE_MODE: 'node',
    BINDPLANE_EVENT_BUS_TYPE: 'nats',
    BINDPLANE_NATS_CLIENT_NAME: 'bp-node2',
    BINDPLANE_NATS_CLIENT_ENDPOINT: `nats://127.0.0.1:${a.BINDPLANE_NATS_SERVER_CLIENT_PORT}`,
    BINDPLANE_NATS_CLIENT_SUBJECT: 'bindplane-event-bus',
  });
  const pa = startBindplane(a);
  await healthy(pa);
  const pb = startBindplane(b);
  const pc = startBindplane(c);
  try {
    const hb = await healthy(pb);
    await healthy(pc);
    assert(hb.json.mode === 'node' && hb.json.instance === 'bp-node1' && hb.json.version === '1.2.3-test', `health body ${hb.text}`);
    assert(hb.headers['x-bindplane-instance'] === 'bp-node1' && hb.headers['x-bindplane-version'] === '1.2.3-test', 'headers');
    assert(!logOf(pc).includes('nats-server: starting'), 'client-only node started a server');
    // Routes need a moment after both servers are up.
    await waitFor('route between the two servers', async () => {
      const r = await get(`http://127.0.0.1:${a.BINDPLANE_NATS_SERVER_HTTP_PORT}/routez`);
      return r.json?.num_routes >= 1;
    });
    const msg = `hello-${Date.now()}`;
    const pub = await get(`${pc.url}/standin/nats/publish?msg=${msg}`);
    assert(pub.status === 200, `publish ${pub.status} ${pub.text}`);
    for (const p of [pa, pb, pc]) await waitFor(`${p.name} receives ${msg}`, async () => (await get(`${p.url}/standin/nats/received`)).json.includes(msg), 5000);
    const msg2 = `back-${Date.now()}`;
    await get(`${pb.url}/standin/nats/publish?msg=${msg2}`);
    for (const p of [pa, pc]) await waitFor(`${p.name} receives ${msg2}`, async () => (await get(`${p.url}/standin/nats/received`)).json.includes(msg2), 5000);
    // The embedded server is restarted when it dies; the client-only node reconnects.
    const info = (await get(`${pa.url}/standin/info`)).json;
    assert(info.nats.serverPid > 0, `info ${JSON.stringify(info)}`);
    process.kill(info.nats.serverPid, 'SIGKILL');
    await waitFor('nats-server restarted', async () => {
      const i = (await get(`${pa.url}/standin/info`)).json;
      return i.nats.serverRestarts >= 1 && i.nats.serverPid && i.nats.serverPid !== info.nats.serverPid;
    });
    await waitFor('client-only node reconnected', async () => (await get(`${pc.url}/standin/info`)).json.nats.reconnects >= 1, 15_000);
    assert(/nats: connection to .* closed; reconnecting/.test(logOf(pc)) && /nats: reconnected to/.test(logOf(pc)), 'reconnect not logged');
    // The jobs instance's own client reconnects to its restarted server too, on its own backoff.
    await waitFor('jobs reconnected to its restarted server', async () => (await get(`${pa.url}/standin/info`)).json.nats.reconnects >= 1, 15_000);
    // Core NATS keeps nothing for a subscriber that is not back yet (its subscriptions are replayed
    // on reconnect, and the route between the servers is made again): publish until one arrives.
    const msg3 = `after-restart-${Date.now()}`;
    await waitFor(
      `jobs receives ${msg3}`,
      async () => {
        await get(`${pc.url}/standin/nats/publish?msg=${msg3}`);
        return (await get(`${pa.url}/standin/nats/received`)).json.includes(msg3);
      },
      15_000,
      500,
    );
    assert((await get(`${pc.url}/health`)).status === 200, 'health lost after reconnect');
  } finally {
    // SIGTERM: prompt exit, and the nats-server child goes too.
    const serverPid = (await get(`${pa.url}/standin/info`).catch(() => ({ json: { nats: {} } }))).json.nats.serverPid;
    const t0 = Date.now();
    const ex = await stop(pa);
    assert(!ex.forced && Date.now() - t0 < 4000, `SIGTERM took ${Date.now() - t0} ms ${JSON.stringify(ex)}`);
    if (serverPid) {
      let alive = true;
      for (let i = 0; i < 20 && alive; i++) {
        try {
          process.kill(serverPid, 0);
          await sleep(100);
        } catch {
          alive = false;
        }
      }
      assert(!alive, 'nats-server survived SIGTERM of its parent');
    }
    await stop(pb);
    await stop(pc);
  }
});

test('nats', 'wrong NATS client endpoint: 503 naming the endpoint', async () => {
  const env = await natsEnv('bp-wrongnats');
  env.BINDPLANE_NATS_CLIENT_ENDPOINT = `nats://localhost:${await freePort()}`;
  const p = startBindplane(env);
  try {
    const reason = await failsWith(p, 'eventbus', /cannot connect to nats:\/\/localhost:\d+: .*ECONNREFUSED/);
    const h = await get(`${p.url}/health`);
    assert(h.json.checks['nats-server'].ok === true, 'the server itself should be fine');
    console.log(`      reason: ${reason}`);
  } finally {
    await stop(p);
  }
});

test('nats', 'NATS server on a port already in use: nats-server check fails and it is retried', async () => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const env = await natsEnv('bp-busyport');
  env.BINDPLANE_NATS_SERVER_CLIENT_PORT = String(blocker.address().port);
  env.BINDPLANE_NATS_CLIENT_ENDPOINT = `nats://127.0.0.1:${blocker.address().port}`;
  const p = startBindplane(env);
  try {
    await failsWith(p, 'nats-server', /not running|127\.0\.0\.1/);
    assert(/nats-server: exited/.test(logOf(p)), 'no exit logged');
  } finally {
    await stop(p);
    blocker.close();
  }
});

// bindplane: wrong store / prometheus / config --------------------------------------------------

test('wiring', 'wrong postgres password: 503 with the psql error', async () => {
  const p = startBindplane(await natsEnv('bp-pgpw', { BINDPLANE_POSTGRES_PASSWORD: 'wrong' }));
  try {
    console.log(`      reason: ${await failsWith(p, 'postgres', /password authentication failed/)}`);
  } finally {
    await stop(p);
  }
});

test('wiring', 'max connections above the server\'s: 503', async () => {
  const p = startBindplane(await natsEnv('bp-maxconn', { BINDPLANE_POSTGRES_MAX_CONNECTIONS: '500' }));
  try {
    await failsWith(p, 'postgres', /max_connections is 60, below BINDPLANE_POSTGRES_MAX_CONNECTIONS=500/);
  } finally {
    await stop(p);
  }
});

test('wiring', 'node before the jobs instance migrated: waits, then passes once jobs ran', async () => {
  const node = startBindplane(await natsEnv('bp-early-node', { BINDPLANE_MODE: 'node', BINDPLANE_POSTGRES_DATABASE: 'fresh' }));
  let jobs;
  try {
    await failsWith(node, 'postgres', /bpd_standin_schema does not exist/);
    jobs = startBindplane(await natsEnv('bp-late-jobs', { BINDPLANE_POSTGRES_DATABASE: 'fresh' }));
    await healthy(jobs);
    await healthy(node);
    const rows = svc.pg.su('SELECT version FROM bpd_standin_schema', 'fresh').stdout.trim();
    assert(rows === '1.2.3-test', `schema rows ${rows}`);
  } finally {
    await stop(node);
    if (jobs) await stop(jobs);
  }
});

test('wiring', 'node of another version than the migration: 503', async () => {
  const jobs = startBindplane(await natsEnv('bp-v1-jobs', { BINDPLANE_POSTGRES_DATABASE: 'fresh2' }));
  await healthy(jobs);
  await stop(jobs);
  const node = startBindplane(await natsEnv('bp-v2-node', { BINDPLANE_MODE: 'node', BINDPLANE_POSTGRES_DATABASE: 'fresh2', BPD_STANDIN_VERSION: '9.9.9' }));
  try {
    await failsWith(node, 'postgres', /migrated by version\(s\) 1\.2\.3-test, not by this node's 9\.9\.9/);
  } finally {
    await stop(node);
  }
});

test('wiring', 'wrong prometheus remote-write port: 503', async () => {
  const p = startBindplane(await natsEnv('bp-promport', { BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT: String(await freePort()) }));
  try {
    console.log(`      reason: ${await failsWith(p, 'prometheus', /ECONNREFUSED/)}`);
  } finally {
    await stop(p);
  }
});

test('wiring', 'wrong remote-write path (receiver not there): 503 with the status', async () => {
  const p = startBindplane(await natsEnv('bp-prompath', { BINDPLANE_PROMETHEUS_REMOTE_WRITE_ENDPOINT: '/api/v1/push' }));
  try {
    await failsWith(p, 'prometheus', /answered 404/);
  } finally {
    await stop(p);
  }
});

test('wiring', 'query side pointing at another server than the remote write: 503', async () => {
  // A second Prometheus: the write lands in one, the query asks the other.
  const dir = path.join(WORK, 'prom2');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
  const port = await freePort();
  const other = start('prometheus-2', 'prometheus', [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${dir}/data`, `--web.listen-address=127.0.0.1:${port}`]);
  await waitFor('prometheus-2 ready', async () => (await get(`http://127.0.0.1:${port}/-/ready`)).status === 200, 30_000);
  const p = startBindplane(await natsEnv('bp-promsplit', { BINDPLANE_PROMETHEUS_PORT: String(port) }));
  try {
    await failsWith(p, 'prometheus', /does not return it/, 30_000);
  } finally {
    await stop(p);
    await stop(other);
  }
});

test('wiring', 'misspelt variable (BINDPLANE_SESSIONS_SECRET): config 503', async () => {
  const p = startBindplane(await natsEnv('bp-misspelt', { BINDPLANE_SESSIONS_SECRET: 'x' }));
  try {
    await failsWith(p, 'config', /unknown variable BINDPLANE_SESSIONS_SECRET/);
  } finally {
    await stop(p);
  }
});

// bindplane: HTTP and websockets ------------------------------------------------------------------

let WS = null;
try {
  WS = createRequire(path.join(HERE, '../../../../package.json'))('ws');
} catch {}

function wsOpen(url, headers) {
  return new Promise((resolve, reject) => {
    const ws = new WS(url, { headers, handshakeTimeout: 3000 });
    const first = new Promise((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    ws.once('open', () => resolve({ ws, first }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test('http', 'HTTP API, HEAD, websockets (ws package as the client), agent stand-in with right and wrong key', async () => {
  const env = await natsEnv('bp-http', { BINDPLANE_POSTGRES_DATABASE: 'http1' });
  const p = startBindplane(env);
  const agents = [];
  try {
    await healthy(p);
    const KEY = await createOrg(p.url);
    const other = await get(`${p.url}/some/page`);
    assert(other.status === 200 && other.json.path === '/some/page' && other.json.instance === 'bp-http', other.text);
    const head = await get(`${p.url}/health`, { method: 'HEAD' });
    assert(head.status === 200 && head.body.length === 0 && head.headers['x-bindplane-instance'] === 'bp-http', `HEAD ${head.status}`);
    const ws = `ws://127.0.0.1:${env.BINDPLANE_PORT}`;
    if (WS) {
      await wsOpen(`${ws}/v1/opamp`, {}).then(
        () => assert(false, 'no key accepted'),
        (e) => assert(/401/.test(e.message), e.message),
      );
      await wsOpen(`${ws}/v1/opamp`, { Authorization: 'Secret-Key nope' }).then(
        () => assert(false, 'wrong key accepted'),
        (e) => assert(/401/.test(e.message), e.message),
      );
      await wsOpen(`${ws}/v1/other`, { Authorization: `Secret-Key ${KEY}` }).then(
        () => assert(false, 'other path upgraded'),
        (e) => assert(/404/.test(e.message), e.message),
      );
      const { ws: c, first } = await wsOpen(`${ws}/v1/opamp`, { Authorization: `Secret-Key ${KEY}`, 'X-Agent-Labels': 'a=1', 'X-Agent-Id': 'ws-client' });
      const hello = await first;
      assert(hello.instance === 'bp-http' && hello.path === '/v1/opamp' && hello.version === '1.2.3-test', JSON.stringify(hello));
      const big = 'x'.repeat(70_000);
      for (const m of ['echo me', 'y'.repeat(300), big]) {
        const echoed = new Promise((r) => c.once('message', (d) => r(d.toString())));
        c.send(m);
        assert((await echoed) === m, `echo of ${m.length} bytes`);
      }
      const pong = new Promise((r) => c.once('pong', (d) => r(d.toString())));
      c.ping('pp');
      assert((await pong) === 'pp', 'pong');
      const closed = new Promise((r) => c.once('close', (code) => r(code)));
      c.close(1000, 'bye');
      assert((await closed) === 1000, 'close code');
      const { ws: g, first: gf } = await wsOpen(`${ws}/v1/graphql`, {});
      assert((await gf).path === '/v1/graphql', 'graphql first frame');
      g.terminate();
    } else console.log('      (ws package not found: websocket checks only through the agent stand-in)');
    // Agent stand-in, right key: connects, shows in /standin/info with labels and id.
    const stateDir = path.join(WORK, 'agent-state');
    const agentEnv = (key, extra = {}) => ({ PATH: process.env.PATH, BPD_STANDIN_ROLE: 'agent', BPD_STANDIN_VERSION: '1.0.0', BPD_STANDIN_STATE_DIR: stateDir, OPAMP_ENDPOINT: `${ws}/v1/opamp`, OPAMP_SECRET_KEY: key, OPAMP_LABELS: 'demo=true,project=selftest', ...extra });
    const good = start('agent-good', process.execPath, [STANDIN], { env: agentEnv(KEY) });
    agents.push(good);
    await waitFor('agent connected', () => logOf(good).includes(`connected to bp-http via ${ws}/v1/opamp`));
    const id = /agent_id: (\S+)/.exec(fs.readFileSync(path.join(stateDir, 'manager.yaml'), 'utf8'))[1];
    const info = await waitFor('agent in info', async () => (await get(`${p.url}/standin/info`)).json.agents.find((a) => a.id === id));
    assert(info.labels.demo === 'true' && info.labels.project === 'selftest' && info.remoteAddress === '127.0.0.1' && /bindplane-agent-standin/.test(info.userAgent), JSON.stringify(info));
    await stop(good);
    await waitFor('agent gone from info', async () => !(await get(`${p.url}/standin/info`)).json.agents.some((a) => a.id === id));
    // Restarted, it keeps its id.
    const again = start('agent-again', process.execPath, [STANDIN], { env: agentEnv(KEY) });
    agents.push(again);
    await waitFor('restarted agent keeps its id', async () => (await get(`${p.url}/standin/info`)).json.agents.some((a) => a.id === id));
    assert(logOf(again).includes(`agent id ${id} (from`), 'id not reused');
    // Server goes away: the agent logs it and reconnects to the new one.
    await stop(p);
    await waitFor('agent logs the drop', () => /disconnected: .*reconnecting in 1 s|Failed to connect to server/.test(logOf(again)));
    const p2 = startBindplane({ ...env, BPD_STANDIN_INSTANCE: 'bp-http-2' });
    await waitFor('agent reconnects to the new server', () => logOf(again).includes(`connected to bp-http-2 via ${ws}/v1/opamp`), 15_000);
    await stop(again);
    // Wrong key: the status line is logged, and it keeps retrying.
    const bad = start('agent-bad', process.execPath, [STANDIN], { env: agentEnv('wrong-key', { BPD_STANDIN_STATE_DIR: path.join(WORK, 'agent-bad') }) });
    agents.push(bad);
    await waitFor('401 logged', () => logOf(bad).includes('handshake refused: HTTP/1.1 401 Unauthorized'));
    await sleep(2500);
    assert(logOf(bad).split('handshake refused').length === 2, 'the same failure logged more than once');
    assert(/refused, 401 \(wrong secret key\)/.test(logOf(p2)), 'server did not log the refusal');
    await stop(bad);
    // Misconfigured agents refuse to start (each with a folder of its own: a manager.yaml written
    // from a bad environment would be read as is by the next start).
    let n = 0;
    for (const [extra, re] of [
      [{ OPAMP_ENDPOINT: `${ws}/v1/wrong` }, /expected \/v1\/opamp/],
      [{ OPAMP_ENDPOINT: `http://127.0.0.1:1/v1/opamp` }, /not ws:\/\/ or wss:\/\//],
      [{ OPAMP_ENDPOINT: undefined }, /OPAMP_ENDPOINT is not set/],
      [{ OPAMP_LABELS: 'demo' }, /not key=value/],
    ]) {
      const e = agentEnv(KEY, { BPD_STANDIN_STATE_DIR: path.join(WORK, `agent-x${n++}`), ...extra });
      for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
      const x = start('agent-misconf', process.execPath, [STANDIN], { env: e });
      await waitFor('misconfigured agent exits', () => x.exited);
      assert(x.exited.code === 1 && re.test(logOf(x)), `${JSON.stringify(extra)}: ${JSON.stringify(x.exited)} ${logOf(x)}`);
      fs.rmSync(x.logFile);
    }
    await stop(p2);
  } finally {
    for (const a of agents) await stop(a);
    await stop(p);
  }
});

test('http', 'agent over TLS (wss): skip-verify connects; verification refuses a self-signed cert, accepts it when trusted, checks the name', async () => {
  const dir = path.join(WORK, 'tls');
  fs.mkdirSync(dir);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { encoding: 'utf8' });
  assert(r.status === 0, r.stderr);
  const env = await natsEnv('bp-tls', { BINDPLANE_POSTGRES_DATABASE: 'tls1' });
  const p = startBindplane(env);
  // A TLS-terminating proxy, as nginx is in the stack.
  const proxy = tls.createServer({ key: fs.readFileSync(`${dir}/key.pem`), cert: fs.readFileSync(`${dir}/cert.pem`) }, (s) => {
    const up = net.connect(Number(env.BINDPLANE_PORT), '127.0.0.1');
    s.pipe(up).pipe(s);
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  await new Promise((res) => proxy.listen(0, '127.0.0.1', res));
  const tport = proxy.address().port;
  const agents = [];
  let KEY;
  const agent = (name, extra) => {
    const a = start(name, process.execPath, [STANDIN], { env: { PATH: process.env.PATH, BPD_STANDIN_ROLE: 'agent', BPD_STANDIN_STATE_DIR: path.join(WORK, name), OPAMP_SECRET_KEY: KEY, OPAMP_LABELS: 'tls=yes', ...extra } });
    agents.push(a);
    return a;
  };
  try {
    await healthy(p);
    KEY = await createOrg(p.url);
    const skip = agent('agent-tls-skip', { OPAMP_ENDPOINT: `wss://127.0.0.1:${tport}/v1/opamp`, OPAMP_TLS_SKIP_VERIFY: 'true' });
    await waitFor('wss with skip-verify connects', () => logOf(skip).includes('connected to bp-tls via wss://'));
    const strict = agent('agent-tls-strict', { OPAMP_ENDPOINT: `wss://localhost:${tport}/v1/opamp` });
    await waitFor('self-signed refused', () => /Failed to connect to server: .*self[- ]signed/i.test(logOf(strict)));
    const trusted = agent('agent-tls-trusted', { OPAMP_ENDPOINT: `wss://localhost:${tport}/v1/opamp`, NODE_EXTRA_CA_CERTS: `${dir}/cert.pem` });
    await waitFor('trusted cert connects', () => logOf(trusted).includes('connected to bp-tls via wss://localhost'));
    const wrongName = agent('agent-tls-name', { OPAMP_ENDPOINT: `wss://127.0.0.1:${tport}/v1/opamp`, NODE_EXTRA_CA_CERTS: `${dir}/cert.pem` });
    await waitFor('name mismatch refused', () => /Failed to connect to server: .*(altnames|does not match|IP: 127\.0\.0\.1)/i.test(logOf(wrongName)));
  } finally {
    for (const a of agents) await stop(a);
    proxy.close();
    await stop(p);
  }
});

// bindplane: first start of the enterprise server (organization, project key, types, CLI) ----------

test('unit', 'UUIDv7 ids, CLI tables, no server-level key required', () => {
  const a = S.uuidv7(Date.UTC(2026, 0, 1));
  const b = S.uuidv7(Date.UTC(2026, 0, 1) + 1);
  assert(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(a), a);
  assert(a.replace('-', '').slice(0, 12) === Date.UTC(2026, 0, 1).toString(16).padStart(12, '0'), `timestamp bits ${a}`);
  assert(a < b, 'not time-ordered');
  assert(S.formatTable(['a', 'b', 'c'], [['2', 'x', ''], ['1', '2', '3']]) === 'A\tB\tC \n1\t2\t3\t\n2\tx\t-\t\n', JSON.stringify(S.formatTable(['a', 'b', 'c'], [['2', 'x', ''], ['1', '2', '3']])));
  assert(S.formatTable(['a'], []) === 'No matching resources found.\n', 'empty table');
  const env = { BINDPLANE_MODE: 'all', BINDPLANE_ACCEPT_EULA: 'true', BINDPLANE_LICENSE: 'l', BINDPLANE_USERNAME: 'u', BINDPLANE_PASSWORD: 'p', BINDPLANE_SESSION_SECRET: 's', BINDPLANE_REMOTE_URL: 'http://lb:8080', BINDPLANE_STORE_TYPE: 'postgres', BINDPLANE_EVENT_BUS_TYPE: 'nats' };
  assert(S.bindplaneConfigProblems(env).length === 0, S.bindplaneConfigProblems(env).join('; '));
});

const RESOURCES = (extra = '') => `apiVersion: bindplane.observiq.com/v1
kind: Configuration
metadata:
  name: cfg-a
spec:
  selector:
    matchLabels:
      site: a${extra}
  sources:
    - type: host
      parameters:
        - name: collection_interval
          value: 60
  destinations:
    - name: dest-a
---
apiVersion: bindplane.observiq.com/v1
kind: Destination
metadata:
  name: dest-a
spec:
  type: custom
`;

const KEYS = new Set();

test('org', 'CLI on a fresh server: 403 until create organization, 401 on bad credentials, flag > env > profile, the key in PostgreSQL, types seeded late, unchanged/configured', async () => {
  const env = await natsEnv('bp-cli', { BINDPLANE_POSTGRES_DATABASE: 'cli1', BPD_STANDIN_TYPES_DELAY_MS: '20000' });
  let p = startBindplane(env);
  const file = path.join(WORK, 'resources.yaml');
  fs.writeFileSync(file, RESOURCES());
  try {
    await healthy(p);
    const url = p.url;
    // No organization yet: every call is 403, the server logs `project not in context`.
    for (const argv of [['get', 'projects'], ['get', 'agents'], ['get', 'configurations'], ['apply', '-f', file]]) {
      const r = await cli(argv, { url });
      assert(r.code === 1 && r.stderr === 'Error: 403 Forbidden\n' && r.stdout === '', `${argv.join(' ')}: ${r.code} ${r.all}`);
    }
    assert(logOf(p).includes('403 Forbidden: project not in context'), 'no `project not in context` in the server log');
    assert((await get(`${url}/standin/info`)).json.organization === false, 'info.organization');
    // Credentials: wrong is 401; flag beats env, env beats profile.
    let r = await cli(['get', 'projects'], { url, env: { BINDPLANE_PASSWORD: 'wrong' } });
    assert(r.code === 1 && r.stderr === 'Error: 401 Unauthorized\n', `wrong password: ${r.all}`);
    r = await cli(['get', 'projects', '--password', 'adminpw'], { url, env: { BINDPLANE_PASSWORD: 'wrong' } });
    assert(r.code === 1 && /403 Forbidden/.test(r.stderr), `flag over env: ${r.all}`);
    r = await cli(['--password=wrong', 'get', 'projects'], { url });
    assert(/401 Unauthorized/.test(r.stderr), `flag before the command: ${r.all}`);
    r = await cli(['get', 'projects'], { url, env: { BINDPLANE_USERNAME: undefined, BINDPLANE_PASSWORD: undefined } });
    assert(/401 Unauthorized/.test(r.stderr), `default admin/admin accepted: ${r.all}`);
    const profEnv = { BINDPLANE_USERNAME: undefined, BINDPLANE_PASSWORD: undefined, BINDPLANE_CONFIG_HOME: path.join(WORK, 'bp-config') };
    r = await cli(['profile', 'set', 'local', '--remote-url', url, '--username', 'admin', '--password', 'adminpw'], { env: profEnv });
    assert(r.code === 0, `profile set: ${r.all}`);
    const profFile = path.join(WORK, 'bp-config/profiles/local.yaml');
    assert((fs.statSync(profFile).mode & 0o777) === 0o600 && /remoteURL: /.test(fs.readFileSync(profFile, 'utf8')), 'profile file');
    r = await cli(['--profile', 'local', 'get', 'projects'], { env: profEnv });
    assert(/403 Forbidden/.test(r.stderr), `profile credentials: ${r.all}`);
    r = await cli(['--profile', 'local', 'get', 'projects'], { env: { ...profEnv, BINDPLANE_PASSWORD: 'wrong' } });
    assert(/401 Unauthorized/.test(r.stderr), `env over profile: ${r.all}`);
    r = await cli(['--profile', 'nope', 'get', 'projects'], { env: profEnv });
    assert(r.code === 1 && /profile nope does not exist/.test(r.stderr), `missing profile: ${r.all}`);
    r = await cli(['get', 'projects'], { url: `http://127.0.0.1:${await freePort()}` });
    assert(r.code === 1 && /^Error: Get "http:\/\/127\.0\.0\.1:\d+\/v1\/projects": dial tcp 127\.0\.0\.1:\d+: connect: connection refused\n$/.test(r.stderr), `refused: ${r.all}`);
    r = await cli(['frobnicate'], { url });
    assert(r.code === 1 && r.stderr === 'Error: unknown command "frobnicate" for "bindplane"\n', r.all);
    r = await cli(['get', 'projects', '--insecure'], { url });
    assert(r.code === 1 && r.stderr === 'Error: unknown flag: --insecure\n', r.all);
    r = await cli(['get', 'projects', '-o', 'xml'], { url });
    assert(r.code === 1 && /invalid output/.test(r.stderr), r.all);
    // create organization: the organization, then its Default Project and key; once only.
    r = await cli(['create', 'organization', 'selftest-org'], { url });
    assert(r.code === 0, `create organization: ${r.all}`);
    const m = /^NAME\tID \nselftest-org\t[0-9a-f-]{36}\t\n\nNAME\tID\tSECRETKEY \nDefault Project\t([0-9a-f-]{36})\t([0-9a-f-]{36})\t\n$/.exec(r.stdout);
    assert(m, `create organization output:\n${r.stdout}`);
    const key = m[2];
    console.log(`      create organization prints:\n        ${r.stdout.trimEnd().split('\n').join('\n        ')}`);
    r = await cli(['create', 'organization', 'another'], { url });
    assert(r.code === 1 && /^Error: 409 Conflict: an organization exists already/.test(r.stderr), `second organization: ${r.all}`);
    r = await cli(['get', 'projects'], { url });
    assert(r.code === 0 && r.stdout === `NAME\tID\tSECRETKEY \nDefault Project\t${m[1]}\t${key}\t\n`, `get projects: ${JSON.stringify(r.stdout)}`);
    assert((await projectKey(url)) === key, 'get projects -o json');
    r = await cli(['get', 'projects', '-o', 'yaml'], { url });
    assert(r.stdout.includes(`secretKey: ${key}`), `yaml: ${r.stdout}`);
    const stored = svc.pg.su('SELECT secret_key FROM bpd_standin_project', 'cli1').stdout.trim();
    assert(stored === key, `key in PostgreSQL: ${stored}`);
    assert((await get(`${url}/standin/info`)).json.organization === true, 'info.organization after');
    KEYS.add(key);
    // The type library is not there yet: per-resource invalid, exit 0.
    assert(!logOf(p).includes('type library seeded'), 'seeded too early for this test');
    r = await cli(['apply', '-f', file], { url });
    assert(
      r.code === 0 && r.stdout === 'Configuration cfg-a invalid\n\tunknown SourceType: host; unknown Destination: dest-a\nDestination dest-a invalid\n\tunknown DestinationType: custom\n',
      `apply before the types: ${r.code} ${JSON.stringify(r.all)}`,
    );
    await waitFor('type library seeded', () => /type library seeded: \d+ source types, \d+ destination types/.test(logOf(p)), 40_000);
    r = await cli(['apply', '-f', file], { url });
    assert(r.code === 0 && r.stdout === 'Configuration cfg-a created\nDestination dest-a created\n', `apply: ${JSON.stringify(r.all)}`);
    r = await cli(['apply', '-f', '-'], { url, input: RESOURCES() });
    assert(r.code === 0 && r.stdout === 'Configuration cfg-a unchanged\nDestination dest-a unchanged\n', `re-apply: ${JSON.stringify(r.all)}`);
    r = await cli(['apply', '-f', '-'], { url, input: RESOURCES('\n      env: test') });
    assert(r.code === 0 && r.stdout === 'Configuration cfg-a configured\nDestination dest-a unchanged\n', `changed: ${JSON.stringify(r.all)}`);
    const missing = RESOURCES().split('---')[0].replace('cfg-a', 'cfg-b').replace('dest-a', 'missing-dest');
    r = await cli(['apply', '-f', '-'], { url, input: missing });
    assert(r.code === 0 && r.stdout === 'Configuration cfg-b invalid\n\tunknown Destination: missing-dest\n', `missing destination: ${JSON.stringify(r.all)}`);
    r = await cli(['apply', '-f', '-'], { url, input: 'apiVersion: bindplane.observiq.com/v1\nkind: Destination\nmetadata: {name: d2}\nspec: {type: nosuch}\n' });
    assert(r.code === 0 && r.stdout === 'Destination d2 invalid\n\tunknown DestinationType: nosuch\n', JSON.stringify(r.all));
    r = await cli(['apply', '-f', '-'], { url, input: 'kind: [unclosed' });
    assert(r.code === 1 && /^Error: stdin: /.test(r.stderr), `bad YAML: ${r.all}`);
    r = await cli(['apply', '-f', path.join(WORK, 'absent.yaml')], { url });
    assert(r.code === 1 && /no such file/.test(r.stderr), r.all);
    r = await cli(['get', 'configurations'], { url });
    assert(r.stdout === 'NAME\tMATCH \ncfg-a\tenv=test,site=a\t\n', JSON.stringify(r.stdout));
    r = await cli(['get', 'destinations'], { url });
    assert(r.stdout === 'NAME\tTYPE\tDESCRIPTION \ndest-a\tcustom\t-\t\n', JSON.stringify(r.stdout));
    r = await cli(['get', 'agents'], { url });
    assert(r.code === 0 && r.stdout === 'No matching resources found.\n', JSON.stringify(r.all));
    // Restart on the same database: the same key, no second seeding.
    await stop(p);
    p = startBindplane(env);
    await healthy(p);
    assert((await projectKey(url)) === key, 'key changed across a restart');
    await waitFor('type library present', () => logOf(p).includes('type library present'));
  } finally {
    await stop(p);
  }
});

test('org', 'OpAMP: only the project key (no organization, server-level key, other key: 401); get agents across instances; Disconnected; manager.yaml wins over OPAMP_*', async () => {
  const jobsEnv = await natsEnv('bp-ag-jobs', { BINDPLANE_POSTGRES_DATABASE: 'agents1', BINDPLANE_SECRET_KEY: SECRET, BPD_STANDIN_TYPES_DELAY_MS: '0' });
  const nodeEnv = await baseEnv('bp-ag-node', {
    BINDPLANE_MODE: 'node',
    BINDPLANE_POSTGRES_DATABASE: 'agents1',
    BINDPLANE_SECRET_KEY: SECRET,
    BINDPLANE_EVENT_BUS_TYPE: 'nats',
    BINDPLANE_NATS_CLIENT_NAME: 'bp-ag-node',
    BINDPLANE_NATS_CLIENT_ENDPOINT: `nats://127.0.0.1:${jobsEnv.BINDPLANE_NATS_SERVER_CLIENT_PORT}`,
    BINDPLANE_NATS_CLIENT_SUBJECT: 'bindplane-event-bus',
  });
  const jobs = startBindplane(jobsEnv);
  const node = startBindplane(nodeEnv);
  const agents = [];
  const wsOf = (p) => `ws://127.0.0.1:${p.env.BINDPLANE_PORT}/v1/opamp`;
  const agent = (name, extra) => {
    const a = start(name, process.execPath, [STANDIN], { env: { PATH: process.env.PATH, BPD_STANDIN_ROLE: 'agent', BPD_STANDIN_VERSION: '1.80.1', BPD_STANDIN_STATE_DIR: path.join(WORK, name), ...extra } });
    agents.push(a);
    return a;
  };
  const table = async (url, argv = []) => {
    const r = await cli(['get', 'agents', ...argv], { url });
    assert(r.code === 0, `get agents: ${r.all}`);
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    return { head, rows: rows.map((l) => l.split('\t')), text: r.stdout };
  };
  const row = (t, name) => t.rows.find((x) => x[1] === name);
  try {
    await healthy(jobs);
    await healthy(node);
    // No organization: no key can work, not even the server's BINDPLANE_SECRET_KEY.
    const early = agent('ag-early', { OPAMP_ENDPOINT: wsOf(jobs), OPAMP_SECRET_KEY: SECRET });
    await waitFor('401 before the organization', () => logOf(early).includes('Failed to connect to server: handshake refused: HTTP/1.1 401 Unauthorized'));
    assert(logOf(jobs).includes('refused, 401 (no organization yet, so no project key exists)'), 'server did not log why');
    await stop(early);
    const key = await createOrg(jobs.url, 'agents-org');
    assert(!KEYS.has(key) && key !== SECRET, 'another database, another key');
    const srv = agent('ag-srvkey', { OPAMP_ENDPOINT: wsOf(node), OPAMP_SECRET_KEY: SECRET });
    await waitFor('server-level key refused', () => logOf(srv).includes('401 Unauthorized'));
    assert(logOf(node).includes("that is the server's BINDPLANE_SECRET_KEY, not the project's key"), 'node did not name the server-level key');
    await sleep(2500);
    assert(logOf(srv).split('Failed to connect to server').length === 2, 'the same failure logged more than once');
    assert(!logOf(srv).includes('Successfully connected'), 'connected with the server-level key');
    await stop(srv);
    // Agents on both instances, listed by either.
    const a = agent('ag-a', { OPAMP_ENDPOINT: wsOf(jobs), OPAMP_SECRET_KEY: key, OPAMP_AGENT_NAME: 'agent-a', OPAMP_LABELS: 'demo=true,site=a' });
    const b = agent('ag-b', { OPAMP_ENDPOINT: wsOf(node), OPAMP_SECRET_KEY: key, OPAMP_AGENT_NAME: 'agent-b', OPAMP_LABELS: 'site=b,demo=true' });
    for (const x of [a, b]) await waitFor(`${x.name} connected`, () => logOf(x).includes('Successfully connected to server'));
    assert(logOf(a).includes(`connected to bp-ag-jobs via ${wsOf(jobs)}`) && logOf(b).includes(`connected to bp-ag-node via ${wsOf(node)}`), 'instances');
    assert(!logOf(a).includes(key) && /secret key from OPAMP_SECRET_KEY/.test(logOf(a)), 'key source not logged, or the key logged');
    const idA = /agent id (\S+) \(new, written to/.exec(logOf(a))[1];
    let t = await table(node.url);
    assert(t.head === 'ID\tNAME\tVERSION\tSTATUS\tCONFIGURATION\tCONNECTED\tREPORTED\tDISCONNECTED\tLABELS ', JSON.stringify(t.head));
    assert(t.rows.length === 2, t.text);
    assert(row(t, 'agent-a')[0] === idA && row(t, 'agent-a')[2] === '1.80.1' && row(t, 'agent-a')[3] === 'Connected' && row(t, 'agent-a')[4] === '-' && row(t, 'agent-a')[8] === 'demo=true,site=a', t.text);
    assert(row(t, 'agent-b')[3] === 'Connected' && row(t, 'agent-b')[8] === 'demo=true,site=b', t.text);
    console.log(`      get agents prints:\n        ${t.text.trimEnd().split('\n').join('\n        ')}`);
    t = await table(jobs.url, ['-l', 'site=b']);
    assert(t.rows.length === 1 && t.rows[0][1] === 'agent-b', `selector: ${t.text}`);
    const js = JSON.parse((await cli(['get', 'agents', '-o', 'json'], { url: jobs.url })).stdout);
    assert(js.length === 2 && js.every((x) => x.status === 'Connected'), JSON.stringify(js));
    // A configuration whose selector matches agent-a: its CONFIGURATION column, and it is pushed.
    await waitFor('types seeded', () => logOf(jobs).includes('type library seeded'));
    const cfg = RESOURCES().replace(/dest-a/g, 'dest-log').replace('type: custom', 'type: logging');
    const ap = await cli(['apply', '-f', '-'], { url: node.url, input: cfg });
    assert(ap.stdout === 'Configuration cfg-a created\nDestination dest-log created\n', ap.all);
    t = await table(jobs.url);
    assert(row(t, 'agent-a')[4] === 'cfg-a' && row(t, 'agent-b')[4] === '-', t.text);
    await waitFor('agent-a runs cfg-a', () => logOf(a).includes('running configuration cfg-a'), 10_000);
    assert(!logOf(b).includes('running configuration'), 'agent-b got a configuration');
    // A stopped agent is Disconnected at once; a node that dies leaves its agents to go stale.
    await stop(b);
    await waitFor('agent-b Disconnected', async () => row(await table(jobs.url), 'agent-b')[3] === 'Disconnected', 5000);
    const c = agent('ag-c', { OPAMP_ENDPOINT: wsOf(node), OPAMP_SECRET_KEY: key, OPAMP_AGENT_NAME: 'agent-c' });
    await waitFor('agent-c connected', () => logOf(c).includes('Successfully connected to server'));
    await waitFor('agent-c listed', async () => row(await table(jobs.url), 'agent-c')?.[3] === 'Connected');
    killGroup(node, 'SIGKILL');
    await sleep(4000);
    assert(row(await table(jobs.url), 'agent-c')[3] === 'Connected', 'stale too early');
    await waitFor('agent-c Disconnected after its node died', async () => row(await table(jobs.url), 'agent-c')[3] === 'Disconnected', 30_000);
    assert(row(await table(jobs.url), 'agent-a')[3] === 'Connected', 'agent-a lost');
    await stop(c);
    // manager.yaml: written from OPAMP_* (0600) when absent; once there it wins over OPAMP_*.
    const dDir = path.join(WORK, 'ag-d');
    const mf = path.join(dDir, 'manager.yaml');
    let d = agent('ag-d', { OPAMP_ENDPOINT: wsOf(jobs), OPAMP_SECRET_KEY: 'not-the-key', OPAMP_LABELS: 'site=d' });
    await waitFor('ag-d refused', () => logOf(d).includes('Failed to connect to server: handshake refused: HTTP/1.1 401 Unauthorized'));
    await stop(d);
    assert((fs.statSync(mf).mode & 0o777) === 0o600, `mode ${(fs.statSync(mf).mode & 0o777).toString(8)}`);
    const y = fs.readFileSync(mf, 'utf8');
    const idD = /^agent_id: ([0-9a-f-]{36})$/m.exec(y)?.[1];
    assert(idD && idD[14] === '7' && /^secret_key: not-the-key$/m.test(y) && /^endpoint: ws:/m.test(y) && /^labels: site=d$/m.test(y), y);
    fs.renameSync(d.logFile, `${d.logFile}.1`);
    d = agent('ag-d', { OPAMP_ENDPOINT: wsOf(jobs), OPAMP_SECRET_KEY: key, OPAMP_LABELS: 'site=changed' });
    await waitFor('ag-d still refused', () => logOf(d).includes('Failed to connect to server: handshake refused: HTTP/1.1 401 Unauthorized'));
    assert(logOf(d).includes(`agent id ${idD} (from ${mf})`) && logOf(d).includes('OPAMP_* variables are not read while it exists') && logOf(d).includes('labels site=d'), logOf(d));
    await stop(d);
    assert(fs.readFileSync(mf, 'utf8') === y, 'manager.yaml changed by a start with other OPAMP_* values');
    // The file rewritten with the project's key, without agent_id: it connects, a new id is filled in, the rest kept.
    fs.writeFileSync(mf, y.replace('not-the-key', key).replace(/^agent_id: .*\n/m, ''));
    fs.renameSync(d.logFile, `${d.logFile}.2`);
    d = agent('ag-d', { OPAMP_ENDPOINT: 'ws://127.0.0.1:1/v1/opamp' });
    await waitFor('ag-d connected with the rewritten file', () => logOf(d).includes('Successfully connected to server'));
    const y2 = fs.readFileSync(mf, 'utf8');
    const idD2 = /^agent_id: ([0-9a-f-]{36})$/m.exec(y2)?.[1];
    assert(idD2 && idD2 !== idD && logOf(d).includes(`agent id ${idD2} (new, written to ${mf})`) && y2.includes(`secret_key: ${key}`) && /^labels: site=d$/m.test(y2), y2);
    await waitFor('ag-d listed', async () => (await table(jobs.url)).rows.some((x) => x[0] === idD2 && x[3] === 'Connected'));
  } finally {
    for (const x of agents) await stop(x);
    await stop(node);
    await stop(jobs);
  }
});

// transform agent ---------------------------------------------------------------------------------

test('transform', 'transform agents: right address passes, wrong port fails', async () => {
  const tport = await freePort();
  const t = start('transform-agent', process.execPath, [STANDIN], { env: { PATH: process.env.PATH, BPD_STANDIN_ROLE: 'transform-agent', BPD_STANDIN_HOST: '127.0.0.1', BPD_STANDIN_PORT: String(tport) } });
  let good;
  let bad;
  try {
    await waitFor('transform agent', async () => (await get(`http://127.0.0.1:${tport}/collector-version`)).text === 'v0.0.0-standin');
    assert((await get(`http://127.0.0.1:${tport}/health`)).status === 200, 'health');
    good = startBindplane(await natsEnv('bp-ta', { BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE: 'true', BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS: `127.0.0.1:${tport}` }));
    const h = await healthy(good);
    assert(h.json.checks['transform-agents'].ok, h.text);
    bad = startBindplane(await natsEnv('bp-ta-bad', { BINDPLANE_TRANSFORM_AGENT_ENABLE_REMOTE: 'true', BINDPLANE_TRANSFORM_AGENT_REMOTE_AGENTS: `127.0.0.1:${tport},127.0.0.1:${await freePort()}` }));
    await failsWith(bad, 'transform-agents', /collector-version: .*ECONNREFUSED/);
  } finally {
    if (good) await stop(good);
    if (bad) await stop(bad);
    await stop(t);
  }
});

// Kafka -------------------------------------------------------------------------------------------

function kafkaEnv(id, host, ports, voters, extra = {}) {
  return {
    PATH: process.env.PATH,
    BPD_STANDIN_ROLE: 'kafka',
    ...kafkaBase(id, host, {
      KAFKA_LISTENERS: `PLAINTEXT://${host}:${ports.broker},CONTROLLER://${host}:${ports.controller}`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${ports.broker}`,
      KAFKA_CONTROLLER_QUORUM_VOTERS: voters,
      KAFKA_LOG_DIRS: path.join(WORK, `kafka-${id}-data`),
      ...extra,
    }),
  };
}
function apiVersions(target) {
  return spawnSync(process.execPath, [STANDIN, 'kafka-api-versions', '--bootstrap-server', target], { encoding: 'utf8', timeout: 10_000 });
}

test('kafka', 'three KRaft brokers: quorum, healthcheck client, bindplane passes; one broker down keeps a majority', async () => {
  const ports = { broker: await freePort('127.0.0.2'), controller: await freePort('127.0.0.2') };
  const hosts = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  const voters = hosts.map((h, i) => `${i + 1}@${h}:${ports.controller}`).join(',');
  const rf = { KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3', KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '3', KAFKA_DEFAULT_REPLICATION_FACTOR: '3', KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '2', KAFKA_MIN_INSYNC_REPLICAS: '2' };
  const brokers = [];
  let bp;
  try {
    brokers.push(start('kafka-1', process.execPath, [STANDIN], { env: kafkaEnv(1, hosts[0], ports, voters, rf) }));
    await waitFor('kafka-1 listening', () => /listener CONTROLLER/.test(logOf(brokers[0])));
    const early = apiVersions(`${hosts[0]}:${ports.broker}`);
    assert(early.status === 1 && /no quorum/.test(early.stderr), `api-versions before quorum: ${early.status} ${early.stderr}`);
    brokers.push(start('kafka-2', process.execPath, [STANDIN], { env: kafkaEnv(2, hosts[1], ports, voters, rf) }));
    brokers.push(start('kafka-3', process.execPath, [STANDIN], { env: kafkaEnv(3, hosts[2], ports, voters, rf) }));
    for (const h of hosts) await waitFor(`api-versions ${h}`, () => apiVersions(`${h}:${ports.broker}`).status === 0, 15_000);
    assert(fs.readFileSync(path.join(WORK, 'kafka-1-data/meta.properties'), 'utf8').includes('cluster.id=MkU3OEVBNTcwNTJENDM2Qk'), 'meta.properties');
    bp = startBindplane(await baseEnv('bp-kafka', {
      BINDPLANE_EVENT_BUS_TYPE: 'kafka',
      BINDPLANE_KAFKA_BROKERS: hosts.map((h) => `${h}:${ports.broker}`).join(','),
      BINDPLANE_KAFKA_TOPIC: 'bindplane',
      BINDPLANE_KAFKA_PROTOCOL_VERSION: '3.9.0',
      BINDPLANE_KAFKA_AUTH_TYPE: 'none',
    }));
    const h = await healthy(bp);
    assert(h.json.checks.eventbus.detail.brokers.length === 3, h.text);
    await stop(brokers[2]);
    await sleep(2500);
    assert(apiVersions(`${hosts[0]}:${ports.broker}`).status === 0, 'majority lost with one of three down');
    await stop(brokers[1]);
    await waitFor('no quorum with two of three down', () => apiVersions(`${hosts[0]}:${ports.broker}`).status === 1, 10_000);
    // Restart with another cluster id on the same volume: refused, as Kafka does.
    await stop(brokers[0]);
    const again = start('kafka-1-other-cluster', process.execPath, [STANDIN], { env: kafkaEnv(1, hosts[0], ports, voters, { ...rf, CLUSTER_ID: 'AAAAAAAAAAAAAAAAAAAAAA' }) });
    await waitFor('exit', () => again.exited);
    assert(again.exited.code === 1 && /Invalid cluster\.id/.test(logOf(again)), logOf(again));
  } finally {
    if (bp) await stop(bp);
    for (const b of brokers) await stop(b);
  }
});

test('kafka', 'broker advertising localhost: bindplane 503; empty topic: 503; bad env: exit 1', async () => {
  const host = '127.0.0.5';
  const ports = { broker: await freePort(host), controller: await freePort(host) };
  const k = start('kafka-localhost', process.execPath, [STANDIN], { env: kafkaEnv(4, host, ports, `4@${host}:${ports.controller}`, { KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://localhost:${ports.broker}` }) });
  const bps = [];
  try {
    await waitFor('kafka api-versions', () => apiVersions(`${host}:${ports.broker}`).status === 0, 10_000);
    const kenv = { BINDPLANE_EVENT_BUS_TYPE: 'kafka', BINDPLANE_KAFKA_BROKERS: `${host}:${ports.broker}`, BINDPLANE_KAFKA_TOPIC: 'bindplane', BINDPLANE_KAFKA_PROTOCOL_VERSION: '3.9.0', BINDPLANE_KAFKA_AUTH_TYPE: 'none' };
    const a = startBindplane(await baseEnv('bp-kafka-lh', kenv));
    bps.push(a);
    console.log(`      reason: ${await failsWith(a, 'eventbus', /advertises localhost:\d+, which clients cannot use/)}`);
    const b = startBindplane(await baseEnv('bp-kafka-notopic', { ...kenv, BINDPLANE_KAFKA_TOPIC: '' }));
    bps.push(b);
    await failsWith(b, 'eventbus', /BINDPLANE_KAFKA_TOPIC is empty/);
    const c = startBindplane(await baseEnv('bp-kafka-nobroker', { ...kenv, BINDPLANE_KAFKA_BROKERS: `127.0.0.6:${ports.broker}` }));
    bps.push(c);
    await failsWith(c, 'eventbus', /ECONNREFUSED/);
  } finally {
    for (const b of bps) await stop(b);
    await stop(k);
  }
  for (const [extra, re] of [
    [{ KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.7:9092,CONTROLLER://127.0.0.7:9093' }, /contains the controller listener/],
    [{ KAFKA_LOG_DIRS: '/etc/hostname/kafka-data' }, /not writable/],
  ]) {
    const x = start('kafka-bad', process.execPath, [STANDIN], { env: kafkaEnv(7, '127.0.0.7', { broker: 9092, controller: 9093 }, '7@127.0.0.7:9093', extra) });
    await waitFor('bad kafka exits', () => x.exited);
    assert(x.exited.code === 1 && re.test(logOf(x)), `${JSON.stringify(extra)}: ${logOf(x)}`);
    fs.rmSync(x.logFile);
  }
});

// Pub/Sub -----------------------------------------------------------------------------------------

test('pubsub', 'emulator: topic present passes (publish, pull, ack); missing topic fails; credentials file mode', async () => {
  if (!fs.existsSync(EMULATOR) || spawnSync('sh', ['-c', 'command -v java']).status !== 0) {
    console.log('      SKIPPED: the Pub/Sub emulator or java is missing');
    return;
  }
  const emu = await startEmulator();
  const penv = { BINDPLANE_EVENT_BUS_TYPE: 'googlePubSub', BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID: 'proj-1', BINDPLANE_GOOGLE_PUB_SUB_TOPIC: 'bp-topic', BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT: `127.0.0.1:${emu.port}`, BINDPLANE_GOOGLE_PUB_SUB_INSECURE: 'true' };
  const bps = [];
  try {
    const a = startBindplane(await baseEnv('bp-pubsub', penv));
    bps.push(a);
    const h = await healthy(a, 40_000);
    assert(/bpd-standin-bp-pubsub$/.test(h.json.checks.eventbus.detail.subscription), h.text);
    const b = startBindplane(await baseEnv('bp-pubsub-notopic', { ...penv, BINDPLANE_GOOGLE_PUB_SUB_TOPIC: 'missing-topic' }));
    bps.push(b);
    await failsWith(b, 'eventbus', /topic projects\/proj-1\/topics\/missing-topic .*404/);
    const c = startBindplane(await baseEnv('bp-pubsub-url', { ...penv, BINDPLANE_GOOGLE_PUB_SUB_ENDPOINT: `http://127.0.0.1:${emu.port}` }));
    bps.push(c);
    await failsWith(c, 'eventbus', /is not host:port/);
    const sa = path.join(WORK, 'sa.json');
    fs.writeFileSync(sa, '{"type": "service_account"}');
    const notSa = path.join(WORK, 'user.json');
    fs.writeFileSync(notSa, '{"type": "authorized_user"}');
    const cred = { BINDPLANE_EVENT_BUS_TYPE: 'googlePubSub', BINDPLANE_GOOGLE_PUB_SUB_PROJECT_ID: 'proj-1', BINDPLANE_GOOGLE_PUB_SUB_TOPIC: 'bp-topic' };
    const d = startBindplane(await baseEnv('bp-pubsub-sa', { ...cred, BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE: sa }));
    bps.push(d);
    await healthy(d);
    assert(logOf(d).includes('the connection is not checked'), 'not-checked note missing');
    const e = startBindplane(await baseEnv('bp-pubsub-user', { ...cred, BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE: notSa }));
    bps.push(e);
    await failsWith(e, 'eventbus', /not a service-account key/);
    const f = startBindplane(await baseEnv('bp-pubsub-nofile', { ...cred, BINDPLANE_GOOGLE_PUB_SUB_CREDENTIALS_FILE: path.join(WORK, 'absent.json') }));
    bps.push(f);
    await failsWith(f, 'eventbus', /no such file/);
  } finally {
    for (const b of bps) await stop(b);
  }
});

// ---------------------------------------------------------------------------------------------

(async () => {
  console.log(`selftest: work dir ${WORK}`);
  for (const t of tests) {
    if (only && !only.includes(t.group)) continue;
    const t0 = Date.now();
    try {
      await t.fn();
      passed++;
      console.log(`  ok   [${t.group}] ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`  FAIL [${t.group}] ${t.name}\n      ${String(e.stack || e.message).split('\n').join('\n      ')}`);
    }
  }
  for (const p of [...procs]) await stop(p);
  killAll();
  if (!keep && !failed) fs.rmSync(WORK, { recursive: true, force: true });
  else console.log(`selftest: logs kept in ${WORK}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
