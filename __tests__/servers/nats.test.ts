// The generated NATS wiring (eventBus nats), run by real nats-server processes: one per BindPlane
// process (bindplane-jobs and bindplane-1..N), each standing in for the NATS server BindPlane
// embeds, configured only from the values the stack gives that process: bindplane/bindplane.env
// (shared by every BindPlane service through `env_file`) overlaid with the service's own
// `environment` in docker-compose.yml (as compose does: `environment` wins).
//
// Everything runs in one private network and mount namespace (`unshare --net --mount`): a private
// /etc/hosts maps each BindPlane service name to its own loopback address 127.0.0.x, so the
// generated routes (nats://bindplane-2:6222...) resolve as compose's DNS would resolve them. The
// namespace's first process only holds it open; every nats-server is started in it through nsenter
// as a separate background server with its own recorded pid, and stopped by pid. Probes (the HTTP
// monitoring endpoints, and a raw-protocol NATS client) run inside the namespace as short node
// scripts through nsenter, bounded.
//
// The one change this sandbox forces: the generated *_HOST values are 0.0.0.0 (each container
// listens on all its interfaces); here every server shares one namespace and the same ports, so
// each binds its own service address instead: the address its service name resolves to, which is
// what the other containers reach it by. Likewise BindPlane's client endpoint
// nats://127.0.0.1:<port> (its own embedded server, inside its own container) becomes the service's
// own address with that port.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, generateStack, tempDir } from '../helpers/stack.js';
import { interpolate, nsArgv, readEnvFile, requireTool, runAsync, startInNamespace, startServer, stopServer, waitFor, type Namespace, type Server } from './helpers.js';

const NATS_HINT = 'NATS needs the real nats-server binary: apt-get install -y --no-install-recommends nats-server (Debian package nats-server)';

// Fetches every URL given (in parallel, each bounded) and prints {name: {status, body} | {error}}.
const PROBE = `
const targets = JSON.parse(process.argv[2]);
const out = {};
await Promise.all(targets.map(async ({ key, url }) => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    out[key] = { status: res.status, body: await res.text() };
  } catch (e) {
    out[key] = { error: String(e && e.message || e) };
  }
}));
process.stdout.write(JSON.stringify(out));
`;

// A tiny NATS client on the raw protocol (INFO/CONNECT/SUB/PUB/MSG/PING/PONG over TCP). One
// connection per BindPlane process, to that process's own server, named with its
// BINDPLANE_NATS_CLIENT_NAME, subscribed to the subject. The publisher's connection then publishes
// probe messages (bounded rounds) until every subscriber has one (subscription interest has spread
// over the routes), then one final message that every subscriber must receive exactly once. While
// the connections are open it reads each server's /connz to show which clients it serves.
// Prints one JSON result; ends by itself after its deadline.
const CLIENT = `
import net from 'node:net';
const cfg = JSON.parse(process.argv[2]);
const deadline = setTimeout(() => finish({ error: 'client deadline reached' }), cfg.deadlineMs);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const conns = [];
const errors = [];
let finished = false;
function finish(result) {
  if (finished) return;
  finished = true;
  clearTimeout(deadline);
  for (const c of conns) c.sock.destroy();
  process.stdout.write(JSON.stringify({ ...result, errors }));
  process.exit(0);
}
function connect(who, host, port, clientName) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const conn = { who, sock, msgs: [], pongs: [], info: undefined,
      write: (s) => sock.write(s),
      ping: (ms = 3000) => new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(who + ': no PONG in time')), ms);
        conn.pongs.push(() => { clearTimeout(t); res(); });
        sock.write('PING\\r\\n');
      }) };
    let buf = Buffer.alloc(0);
    sock.setNoDelay(true);
    sock.once('error', (e) => { errors.push(who + ': ' + e.message); reject(e); });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const i = buf.indexOf('\\r\\n');
        if (i < 0) return;
        const line = buf.subarray(0, i).toString();
        if (line.startsWith('MSG ')) {
          // MSG <subject> <sid> [reply-to] <#bytes>
          const parts = line.split(' ');
          const n = Number(parts[parts.length - 1]);
          if (buf.length < i + 2 + n + 2) return;
          conn.msgs.push({ subject: parts[1], payload: buf.subarray(i + 2, i + 2 + n).toString() });
          buf = buf.subarray(i + 2 + n + 2);
          continue;
        }
        buf = buf.subarray(i + 2);
        if (line.startsWith('INFO ')) {
          if (!conn.info) {
            conn.info = JSON.parse(line.slice(5));
            sock.write('CONNECT ' + JSON.stringify({ verbose: false, pedantic: false, name: clientName, lang: 'raw', version: '0', protocol: 1, echo: true }) + '\\r\\n');
            conns.push(conn);
            resolve(conn);
          }
        } else if (line === 'PING') sock.write('PONG\\r\\n');
        else if (line === 'PONG') conn.pongs.shift()?.();
        else if (line.startsWith('-ERR')) errors.push(who + ': ' + line);
      }
    });
  });
}
try {
  const subs = [];
  for (const s of cfg.servers) {
    const c = await connect(s.name, s.host, s.clientPort, s.clientName);
    c.write('SUB ' + cfg.subject + ' 1\\r\\n');
    await c.ping();
    subs.push(c);
  }
  const pub = subs.find((c) => c.who === cfg.publisher);
  const pubWrite = (payload) => pub.write('PUB ' + cfg.subject + ' ' + Buffer.byteLength(payload) + '\\r\\n' + payload + '\\r\\n');
  let rounds = 0;
  const someProbe = (c) => c.msgs.some((m) => m.payload.startsWith('probe '));
  for (; rounds < cfg.maxRounds && !subs.every(someProbe); rounds++) {
    pubWrite('probe ' + rounds + ' from ' + cfg.publisher);
    await pub.ping();
    await sleep(100);
  }
  const final = 'final ' + cfg.nonce + ' from ' + cfg.publisher;
  pubWrite(final);
  await pub.ping();
  for (let i = 0; i < 40 && !subs.every((c) => c.msgs.some((m) => m.payload === final)); i++) await sleep(50);
  await sleep(300); // room for a duplicate to show up
  const connz = {};
  await Promise.all(cfg.servers.map(async (s) => {
    try {
      const res = await fetch('http://' + s.host + ':' + s.httpPort + '/connz?subs=1', { signal: AbortSignal.timeout(3000) });
      const j = await res.json();
      connz[s.name] = (j.connections || []).map((c) => ({ name: c.name, subs: c.subscriptions_list || [] }));
    } catch (e) {
      connz[s.name] = String(e.message || e);
    }
  }));
  const received = {};
  for (const c of subs) received[c.who] = { finals: c.msgs.filter((m) => m.payload === final).length, subjects: [...new Set(c.msgs.map((m) => m.subject))], serverName: c.info.server_name };
  finish({ rounds, final, received, connz });
} catch (e) {
  finish({ error: String(e && e.stack || e) });
}
`;

interface Service {
  /** The compose service name (and its DNS name on the stack's networks). */
  name: string;
  /** Its own loopback address in the namespace (what its name resolves to there). */
  ip: string;
  /** The environment BindPlane sees in that container. */
  env: Record<string, string>;
}

interface Cluster {
  stack: string;
  work: string;
  shared: Record<string, string>;
  services: Service[];
  ns: Namespace;
  servers: Server[];
  natsServer: string;
}

/** docker-compose.yml with merge keys resolved; no alias limit (64 instances use hundreds). */
function readComposeUnlimited(stack: string): { services: Record<string, any> } { // eslint-disable-line @typescript-eslint/no-explicit-any
  return parseYaml(readFileSync(path.join(stack, 'docker-compose.yml'), 'utf8'), { merge: true, maxAliasCount: -1, uniqueKeys: true }) as {
    services: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

/** `environment` as a map, whether compose has it as a map or a list of KEY=VALUE. */
function environmentOf(svc: { environment?: Record<string, unknown> | string[] }): Record<string, string> {
  const e = svc.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/**
 * The nats-server configuration for one BindPlane process, from its environment only. Which
 * setting comes from which variable (nats-server config key <- BindPlane variable):
 *   server_name        <- BINDPLANE_NATS_SERVER_NAME          (docker-compose.yml, per service)
 *   host               <- BINDPLANE_NATS_SERVER_CLIENT_HOST   (0.0.0.0 -> the service's address, see top)
 *   port               <- BINDPLANE_NATS_SERVER_CLIENT_PORT
 *   http               <- BINDPLANE_NATS_SERVER_HTTP_HOST:BINDPLANE_NATS_SERVER_HTTP_PORT (host likewise)
 *   cluster.name       <- BINDPLANE_NATS_SERVER_CLUSTER_NAME
 *   cluster.host       <- BINDPLANE_NATS_SERVER_CLUSTER_HOST  (host likewise)
 *   cluster.port       <- BINDPLANE_NATS_SERVER_CLUSTER_PORT
 *   cluster.routes     <- BINDPLANE_NATS_SERVER_CLUSTER_ROUTES (the comma list, exactly as generated,
 *                         the service's own address included: nats-server drops a route to itself)
 * (nats-server's --name, --addr, --port, --http_port, --cluster_name, --cluster and --routes flags
 * carry the same values; a file is used because the flags have no separate HTTP host.)
 */
function natsConfig(s: Service): string {
  const e = s.env;
  const host = (v: string | undefined, what: string) => {
    expect(v, `${s.name}: ${what} listens on every interface of its container`).toBe('0.0.0.0');
    return s.ip;
  };
  const conf = {
    server_name: e.BINDPLANE_NATS_SERVER_NAME,
    host: host(e.BINDPLANE_NATS_SERVER_CLIENT_HOST, 'the client listener'),
    port: Number(e.BINDPLANE_NATS_SERVER_CLIENT_PORT),
    http: `${host(e.BINDPLANE_NATS_SERVER_HTTP_HOST, 'the monitoring listener')}:${Number(e.BINDPLANE_NATS_SERVER_HTTP_PORT)}`,
    cluster: {
      name: e.BINDPLANE_NATS_SERVER_CLUSTER_NAME,
      host: host(e.BINDPLANE_NATS_SERVER_CLUSTER_HOST, 'the cluster listener'),
      port: Number(e.BINDPLANE_NATS_SERVER_CLUSTER_PORT),
      routes: e.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES!.split(','),
    },
  };
  // NATS's configuration format reads JSON.
  return `# ${s.name}: generated from bindplane/bindplane.env and docker-compose.yml\n${JSON.stringify(conf, null, 2)}\n`;
}

async function startCluster(instances: number): Promise<Cluster> {
  const natsServer = requireTool('nats-server', NATS_HINT);
  const stack = await generateStack({ instances, eventBus: 'nats' });
  const work = tempDir('bpd-nats-');
  const shared = readEnvFile(path.join(stack, 'bindplane/bindplane.env'));
  const dotenv = readEnvFile(path.join(stack, '.env'));
  const compose = readComposeUnlimited(stack);

  // The BindPlane processes: every service that takes bindplane/bindplane.env.
  const names = Object.keys(compose.services).filter((n) => {
    const f = compose.services[n].env_file;
    return (Array.isArray(f) ? f : f ? [f] : []).includes('./bindplane/bindplane.env');
  });
  const nodes = Array.from({ length: instances }, (_, i) => `bindplane-${i + 1}`);
  expect(names.sort()).toEqual(['bindplane-jobs', ...nodes].sort());
  const services: Service[] = ['bindplane-jobs', ...nodes].map((name, i) => {
    const env: Record<string, string> = { ...shared };
    for (const [k, v] of Object.entries(environmentOf(compose.services[name]))) env[k] = interpolate(v, dotenv);
    return { name, ip: `127.0.0.${i + 2}`, env };
  });

  const hosts = Object.fromEntries(services.map((s) => [s.name, s.ip]));
  // Every process ends by itself after the longest this suite can take.
  const lifetime = Math.ceil(meshTimeout(instances) / 1000) + 180;
  // The namespace's first process only keeps it open (bounded by its own lifetime too).
  const ns = await startInNamespace('nats', work, { hosts, cmd: 'sleep', args: [String(lifetime)], lifetimeSeconds: lifetime });
  const servers: Server[] = [];
  try {
    for (const s of services) {
      const conf = path.join(work, `${s.name}.conf`);
      writeFileSync(conf, natsConfig(s));
      servers.push(startServer(`nats-server ${s.name}`, 'nsenter', nsArgv(ns.nsPid, natsServer, ['-c', conf]), { lifetimeSeconds: lifetime, stdin: 'ignore' }));
    }
  } catch (e) {
    await Promise.all(servers.map((s) => stopServer(s)));
    await stopServer(ns.server);
    throw e;
  }
  return { stack, work, shared, services, ns, servers, natsServer };
}

async function stopCluster(c: Cluster | undefined): Promise<void> {
  if (!c) return;
  await Promise.all(c.servers.map((s) => stopServer(s)));
  await stopServer(c.ns.server);
}

/** Runs a node script inside the namespace (bounded) and parses the JSON it prints. */
async function inNamespace<T>(c: Cluster, script: string, file: string, arg: unknown, timeoutMs: number): Promise<T> {
  const p = path.join(c.work, file);
  writeFileSync(p, script);
  const r = await runAsync('nsenter', nsArgv(c.ns.nsPid, process.execPath, [p, JSON.stringify(arg)]), { timeoutMs });
  if (r.code !== 0) throw new Error(`${file} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface Varz {
  server_id: string;
  server_name: string;
  host: string;
  port: number;
  http_host: string;
  http_port: number;
  cluster: { name: string; addr: string; cluster_port: number; urls: string[] };
}
interface Routez {
  server_id: string;
  num_routes: number;
  routes: { remote_id: string; is_configured: boolean; did_solicit: boolean }[];
}
interface Snapshot {
  varz: Record<string, Varz>;
  routez: Record<string, Routez>;
}

/** /varz and /routez of every server, read on its generated HTTP port. */
async function monitor(c: Cluster): Promise<Snapshot | undefined> {
  const targets = c.services.flatMap((s) =>
    ['varz', 'routez'].map((ep) => ({ key: `${s.name} ${ep}`, url: `http://${s.ip}:${Number(s.env.BINDPLANE_NATS_SERVER_HTTP_PORT)}/${ep}` })),
  );
  const out = await inNamespace<Record<string, { status?: number; body?: string; error?: string }>>(c, PROBE, 'probe.mjs', targets, 15_000);
  const snap: Snapshot = { varz: {}, routez: {} };
  for (const s of c.services) {
    const v = out[`${s.name} varz`];
    const r = out[`${s.name} routez`];
    if (v?.status !== 200 || r?.status !== 200) return undefined;
    snap.varz[s.name] = JSON.parse(v.body!) as Varz;
    snap.routez[s.name] = JSON.parse(r.body!) as Routez;
  }
  return snap;
}

/** Server name -> names of the servers its routes lead to (by server id). */
function meshOf(snap: Snapshot): Record<string, string[]> {
  const byId = new Map(Object.entries(snap.varz).map(([name, v]) => [v.server_id, name]));
  return Object.fromEntries(Object.entries(snap.routez).map(([name, r]) => [name, r.routes.map((x) => byId.get(x.remote_id) ?? `unknown ${x.remote_id}`).sort()]));
}

function fullMesh(c: Cluster, snap: Snapshot): boolean {
  const mesh = meshOf(snap);
  return c.services.every((s) => {
    const want = c.services.filter((o) => o !== s).map((o) => o.name).sort();
    return JSON.stringify(mesh[s.name]) === JSON.stringify(want) && snap.routez[s.name]!.num_routes === want.length;
  });
}

/** Waits (bounded) for every server to answer and the routes to form a full mesh; fails early if one exits. */
async function waitForMesh(c: Cluster, timeoutMs: number): Promise<Snapshot> {
  let last: Snapshot | undefined;
  try {
    const r = await waitFor<{ snap?: Snapshot; dead?: Server }>(
      `a full mesh of ${c.services.length} NATS servers`,
      async () => {
        const dead = c.servers.find((s) => s.hasExited());
        if (dead) return { dead };
        last = await monitor(c);
        return last && fullMesh(c, last) ? { snap: last } : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
    if (r.dead) throw new Error(`${r.dead.name} exited:\n${r.dead.output().slice(-4000)}`);
    return r.snap!;
  } catch (e) {
    const mesh = last ? JSON.stringify(meshOf(last), null, 1).slice(0, 4000) : 'no snapshot';
    throw new Error(`${(e as Error).message}\nlast mesh seen: ${mesh}\n${c.servers[0]!.name} output:\n${c.servers[0]!.output().slice(-3000)}`);
  }
}

interface ClientResult {
  error?: string;
  errors: string[];
  rounds: number;
  final: string;
  received: Record<string, { finals: number; subjects: string[]; serverName: string }>;
  connz: Record<string, { name: string; subs: string[] }[] | string>;
}

// 3 and 8 instances by default. More with BPD_NATS_INSTANCES (a comma list): measured on 2 cores,
// 16 instances form the mesh in about 2 s, 32 in 7 s, 48 in 27 s and 64 (the generator's maximum:
// 65 servers, 2080 routes) in about 65 s, too slow for every run.
const SIZES = (process.env.BPD_NATS_INSTANCES ?? '3,8').split(',').map(Number);
for (const n of SIZES) if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`BPD_NATS_INSTANCES: ${n} is not a whole number from 1 to 64`);
/** How long the mesh may take to form: generous, and bounded. */
const meshTimeout = (instances: number) => 20_000 + instances * instances * 40;

describe.each(SIZES)('NATS wiring with %i instances: nats-server per BindPlane process', (instances) => {
  let c: Cluster;
  let snap: Snapshot;
  let started: number;

  beforeAll(async () => {
    started = Date.now();
    c = await startCluster(instances);
    snap = await waitForMesh(c, meshTimeout(instances));
  }, meshTimeout(instances) + 60_000);

  afterAll(async () => {
    await stopCluster(c);
    cleanupTempDirs();
  });

  it('gives every BindPlane process the NATS event bus, an enabled server and a name of its own', () => {
    expect(c.services.length).toBe(instances + 1);
    for (const s of c.services) {
      expect(s.env.BINDPLANE_EVENT_BUS_TYPE, s.name).toBe('nats');
      expect(s.env.BINDPLANE_NATS_SERVER_ENABLE, s.name).toBe('true');
      // The server and client name are the service's own: unique in the cluster.
      expect(s.env.BINDPLANE_NATS_SERVER_NAME, s.name).toBe(s.name);
      expect(s.env.BINDPLANE_NATS_CLIENT_NAME, s.name).toBe(s.name);
    }
    // Each process's client talks to its own embedded server, on that server's client port.
    const client = new URL(c.shared.BINDPLANE_NATS_CLIENT_ENDPOINT!);
    expect(client.protocol).toBe('nats:');
    expect(client.hostname).toBe('127.0.0.1');
    expect(client.port).toBe(c.shared.BINDPLANE_NATS_SERVER_CLIENT_PORT);
    // The routes name every BindPlane process once, on the cluster port.
    const routes = c.shared.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES!.split(',');
    expect(routes.sort()).toEqual(c.services.map((s) => `nats://${s.name}:${c.shared.BINDPLANE_NATS_SERVER_CLUSTER_PORT}`).sort());
  });

  it('runs each server with exactly the generated name, cluster name, ports and routes', () => {
    const e = c.shared;
    for (const s of c.services) {
      const v = snap.varz[s.name]!;
      expect(v.server_name).toBe(s.env.BINDPLANE_NATS_SERVER_NAME);
      expect(v.host).toBe(s.ip);
      expect(v.port).toBe(Number(e.BINDPLANE_NATS_SERVER_CLIENT_PORT));
      expect(v.http_port).toBe(Number(e.BINDPLANE_NATS_SERVER_HTTP_PORT));
      expect(v.cluster.name).toBe(e.BINDPLANE_NATS_SERVER_CLUSTER_NAME);
      expect(v.cluster.cluster_port).toBe(Number(e.BINDPLANE_NATS_SERVER_CLUSTER_PORT));
      expect(v.cluster.urls.sort()).toEqual(e.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES!.split(',').map((r) => r.replace(/^nats:\/\//, '')).sort());
    }
  });

  it(`forms one cluster: a full mesh, each of the ${instances + 1} servers routed to the ${instances} others`, () => {
    const mesh = meshOf(snap);
    for (const s of c.services) {
      const others = c.services.filter((o) => o !== s).map((o) => o.name).sort();
      expect(mesh[s.name], s.name).toEqual(others);
      expect(snap.routez[s.name]!.num_routes, s.name).toBe(instances);
      // One route per pair: duplicates were resolved, none left over.
      expect(new Set(snap.routez[s.name]!.routes.map((r) => r.remote_id)).size).toBe(instances);
    }
    // N+1 distinct servers (a duplicated name or id would not be N+1).
    expect(new Set(Object.values(snap.varz).map((v) => v.server_id)).size).toBe(instances + 1);
    console.log(`NATS ${instances} instances: full mesh after ${Date.now() - started} ms`);
  });

  it('carries a message on the generated subject from one instance to every process, each through its own server, once', async () => {
    const subject = c.shared.BINDPLANE_NATS_CLIENT_SUBJECT!;
    expect(subject).toBeTruthy();
    const port = Number(new URL(c.shared.BINDPLANE_NATS_CLIENT_ENDPOINT!).port);
    const publisher = c.services[c.services.length - 1]!.name; // the last node publishes
    const r = await inNamespace<ClientResult>(
      c,
      CLIENT,
      'client.mjs',
      {
        subject,
        publisher,
        nonce: Math.random().toString(36).slice(2),
        maxRounds: 50,
        deadlineMs: 25_000,
        servers: c.services.map((s) => ({
          name: s.name,
          host: s.ip,
          clientPort: port,
          httpPort: Number(s.env.BINDPLANE_NATS_SERVER_HTTP_PORT),
          clientName: s.env.BINDPLANE_NATS_CLIENT_NAME,
        })),
      },
      35_000,
    );
    expect(r.error, JSON.stringify(r.errors)).toBeUndefined();
    expect(r.errors).toEqual([]);
    expect(r.rounds).toBeLessThan(50);
    for (const s of c.services) {
      const got = r.received[s.name]!;
      // Its connection is to its own server...
      expect(got.serverName, s.name).toBe(s.env.BINDPLANE_NATS_SERVER_NAME);
      // ...which lists it by its client name, subscribed to the subject...
      expect(r.connz[s.name], s.name).toEqual([{ name: s.env.BINDPLANE_NATS_CLIENT_NAME, subs: [subject] }]);
      // ...and the final message reached it exactly once, on the subject alone.
      expect(got.finals, `${s.name} received the final message`).toBe(1);
      expect(got.subjects).toEqual([subject]);
    }
  });
});
