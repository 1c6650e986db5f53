// The generated NATS wiring (eventBus nats), run by real nats-server processes. The stack runs a
// FIXED set of NATS servers embedded in the first BindPlane processes (bindplane-jobs, bindplane-1,
// bindplane-2: min(3, processes)); every BindPlane process, servers included, is a NATS client of
// the shared network alias the servers carry. Here a nats-server stands in for each embedded
// server, and a small raw-protocol client stands in for each BindPlane process's NATS client, all
// configured only from the values the stack gives that process: bindplane/bindplane.env (shared
// through `env_file`) overlaid with the service's own `environment` in docker-compose.yml, YAML
// merge keys resolved (`<<: [*bindplane-env, *nats-server-env]`), as compose does.
//
// Everything runs in one private network and mount namespace (`unshare --net --mount`): a private
// /etc/hosts maps each BindPlane service name to its own loopback address 127.0.0.x, so the
// generated routes (nats://bindplane-2:6222...) resolve as compose's DNS would resolve them, and
// puts every network alias a service carries in the compose file (read from it: `nats` on the
// `backend` network of the servers) on that service's line too, so the alias is listed on several
// lines, one per server. The namespace's first process only holds it open; every nats-server is
// started in it through nsenter as a separate background server with its own recorded pid, and
// stopped by pid. The clients live in one more background process in the namespace (a node script
// driven by JSON lines on stdin), which also reads the servers' HTTP monitoring endpoints.
//
// Resolving the alias: Docker's DNS answers a name several containers carry with every address,
// in a shuffled order, and a client takes one of them. glibc (checked on 2.36) does merge several
// /etc/hosts lines for one name into one getaddrinfo answer, but only with `multi on` in
// /etc/host.conf (Debian's default; without it dns.lookup(name, {all: true}) gives the first line's
// address only), and it answers in file order, never shuffled. So /etc/hosts alone cannot be relied
// on to behave like Docker's DNS: the test client resolves the alias itself, to every address the
// namespace's /etc/hosts lists for it (what Docker's DNS would answer), and picks one, rotating the
// answer by the client's index (the stand-in for Docker's shuffle, deterministic so clients spread
// over the servers on every run). On failure it tries the other addresses in that order, as NATS
// clients do with a name that resolves to several servers. What glibc answers is still recorded and
// checked to name only servers.
//
// The one change this sandbox forces: the generated *_HOST values are 0.0.0.0 (each container
// listens on all its interfaces); here every server shares one namespace and the same ports, so
// each binds its own service address instead: the address its service name (and the alias) resolve
// to, which is what the other containers reach it by.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, generateStack, tempDir } from '../helpers/stack.js';
import {
  interpolate,
  nsArgv,
  readCompose,
  readEnvFile,
  requireTool,
  startInNamespace,
  startServer,
  stopServer,
  waitFor,
  type Namespace,
  type Server,
} from './helpers.js';

const NATS_HINT = 'NATS needs the real nats-server binary: apt-get install -y --no-install-recommends nats-server (Debian package nats-server)';
/** Every process of this suite ends by itself after this long, whatever happens. */
const LIFETIME_SECONDS = 180;

// The clients, one per BindPlane process, in one node process inside the namespace. Commands come
// as JSON lines on stdin ({id, cmd, args}); each answer is one JSON line on stdout ({id, result} or
// {id, error}). It speaks the raw NATS protocol (INFO/CONNECT/SUB/PUB/MSG/PING/PONG over TCP); a
// connection counts once the server has answered the PING sent after CONNECT and SUB, so the
// subscription is in place. A dropped connection reconnects through the alias (bounded). Messages
// are published once each, never retried: a message lost is a failure. It ends when stdin closes
// (the test process is gone) or after its lifetime.
const CLIENTS = String.raw`
import net from 'node:net';
import dns from 'node:dns';
import { readFileSync } from 'node:fs';

const lifetime = setTimeout(() => process.exit(3), Number(process.argv[2]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CRLF = '\r\n';
let bus; // { alias, port, subject }
const clients = new Map();
const protocolErrors = [];

const say = (id, body) => process.stdout.write(JSON.stringify({ id, ...body }) + '\n');
function shutdown() {
  for (const c of clients.values()) {
    c.closing = true;
    c.conn?.sock.destroy();
  }
  clearTimeout(lifetime);
  process.exit(0);
}
let inbuf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('end', shutdown);
process.stdin.on('data', (d) => {
  inbuf += d;
  for (let i = inbuf.indexOf('\n'); i >= 0; i = inbuf.indexOf('\n')) {
    const line = inbuf.slice(0, i);
    inbuf = inbuf.slice(i + 1);
    if (!line.trim()) continue;
    const req = JSON.parse(line);
    Promise.resolve()
      .then(() => commands[req.cmd](req.args || {}))
      .then((result) => say(req.id, { result }), (e) => say(req.id, { error: String((e && e.stack) || e) }));
  }
});

// Every address the namespace's /etc/hosts lists for a name, in file order (see the test file).
function addressesOf(name) {
  const out = [];
  for (const raw of readFileSync('/etc/hosts', 'utf8').split('\n')) {
    const f = raw.replace(/#.*/, '').trim().split(/\s+/);
    if (f.length > 1 && f.slice(1).includes(name) && !out.includes(f[0])) out.push(f[0]);
  }
  return out;
}

// One connection attempt to one address; resolves with undefined once subscribed, or with why not.
function open(c, ip) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: ip, port: bus.port });
    const conn = {
      sock, ip, info: undefined, ready: false, pongs: [],
      write: (s) => sock.write(s),
      ping: (ms = 3000) => new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(c.name + ': no PONG from ' + ip + ' in time')), ms);
        conn.pongs.push(() => { clearTimeout(t); res(); });
        sock.write('PING' + CRLF);
      }),
    };
    let settled = false;
    const settle = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (why) sock.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => settle('no handshake within 2 s'), 2000);
    sock.setNoDelay(true);
    sock.on('error', (e) => settle(e.code || e.message));
    sock.on('close', () => {
      settle('closed during the handshake');
      if (c.conn === conn && !c.closing) {
        c.conn = undefined;
        c.drops++;
        attach(c);
      }
    });
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const i = buf.indexOf(CRLF);
        if (i < 0) return;
        const line = buf.subarray(0, i).toString();
        if (line.startsWith('MSG ')) {
          // MSG <subject> <sid> [reply-to] <#bytes>
          const parts = line.split(' ');
          const n = Number(parts[parts.length - 1]);
          if (buf.length < i + 2 + n + 2) return;
          c.msgs.push(buf.subarray(i + 2, i + 2 + n).toString());
          c.subjects.add(parts[1]);
          buf = buf.subarray(i + 2 + n + 2);
          continue;
        }
        buf = buf.subarray(i + 2);
        if (line.startsWith('INFO ')) {
          if (!conn.info) {
            conn.info = JSON.parse(line.slice(5));
            const hello = { verbose: false, pedantic: false, name: c.clientName, lang: 'raw', version: '0', protocol: 1, echo: true };
            sock.write('CONNECT ' + JSON.stringify(hello) + CRLF + 'SUB ' + bus.subject + ' 1' + CRLF + 'PING' + CRLF);
          }
        } else if (line === 'PING') sock.write('PONG' + CRLF);
        else if (line === 'PONG') {
          if (!conn.ready) {
            conn.ready = true;
            c.conn = conn;
            c.history.push(conn.info.server_name);
            settle(undefined);
          } else conn.pongs.shift()?.();
        } else if (line.startsWith('-ERR')) protocolErrors.push(c.name + '@' + ip + ': ' + line);
      }
    });
  });
}

// Connects through the alias: every address it is listed with, rotated by the client's index;
// bounded rounds over all of them.
async function attach(c) {
  if (c.attaching) return;
  c.attaching = true;
  try {
    for (let round = 0; round < 50; round++) {
      const addrs = addressesOf(bus.alias);
      const k = c.index % Math.max(1, addrs.length);
      for (const ip of addrs.slice(k).concat(addrs.slice(0, k))) {
        if (c.closing) return;
        const why = await open(c, ip);
        if (!why) return;
        c.failures++;
        c.lastFailure = ip + ': ' + why;
      }
      await sleep(100);
    }
    c.gaveUp = true;
  } finally {
    c.attaching = false;
  }
}

const state = () => Object.fromEntries([...clients.values()].map((c) => [c.name, {
  ready: !!c.conn, ip: c.conn?.ip, server: c.conn?.info.server_name, drops: c.drops, failures: c.failures,
  lastFailure: c.lastFailure, history: c.history, gaveUp: !!c.gaveUp,
}]));

const commands = {
  async connect({ alias, port, subject, list }) {
    bus = { alias, port, subject };
    const glibc = await new Promise((res) => dns.lookup(alias, { all: true }, (e, a) => res(e ? { error: String(e.code || e) } : a.map((x) => x.address))));
    for (const x of list) clients.set(x.name, { ...x, conn: undefined, msgs: [], subjects: new Set(), history: [], drops: 0, failures: 0 });
    await Promise.all([...clients.values()].map((c) => attach(c)));
    return { hosts: addressesOf(alias), glibc, state: state(), protocolErrors };
  },
  state: () => ({ state: state(), protocolErrors }),
  // Waits (bounded) until every client is subscribed again, none of them to the address avoided.
  async waitReady({ avoid, timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 5000 && Date.now() < deadline; i++) {
      const all = [...clients.values()];
      if (all.every((c) => c.conn && c.conn.ip !== avoid)) return { state: state(), protocolErrors };
      if (all.some((c) => c.gaveUp)) break;
      await sleep(20);
    }
    throw new Error('clients not subscribed again in time: ' + JSON.stringify(state()));
  },
  // The publisher sends one message, once; reports how often each client got it.
  async deliver({ publisher, nonce }) {
    const pub = clients.get(publisher);
    if (!pub || !pub.conn) throw new Error(publisher + ' is not connected');
    const conn = pub.conn;
    const all = [...clients.values()];
    const message = 'message ' + nonce + ' from ' + publisher;
    conn.write('PUB ' + bus.subject + ' ' + Buffer.byteLength(message) + CRLF + message + CRLF);
    await conn.ping();
    const count = (c) => c.msgs.filter((m) => m === message).length;
    for (let i = 0; i < 100 && !all.every((c) => count(c) > 0); i++) await sleep(20);
    await sleep(300); // room for a duplicate to show up
    return {
      publisherServer: conn.info.server_name,
      received: Object.fromEntries(all.map((c) => [c.name, { times: count(c), server: c.conn?.info.server_name, subjects: [...c.subjects] }])),
      protocolErrors,
    };
  },
  // Fetches every URL given (in parallel, each bounded): {key: {status, body} | {error}}.
  async monitor({ targets }) {
    const out = {};
    await Promise.all(targets.map(async ({ key, url }) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
        out[key] = { status: res.status, body: await res.json() };
      } catch (e) {
        out[key] = { error: String((e && e.message) || e) };
      }
    }));
    return out;
  },
};
`;

interface ClientState {
  ready: boolean;
  ip?: string;
  server?: string;
  drops: number;
  failures: number;
  lastFailure?: string;
  history: string[];
  gaveUp: boolean;
}
interface Delivery {
  publisherServer: string;
  received: Record<string, { times: number; server?: string; subjects: string[] }>;
  protocolErrors: string[];
}

/** The client process: requests over its stdin, answers from its stdout, each bounded in time. */
class Clients {
  private buf = '';
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(readonly server: Server) {
    server.child.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString();
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        let msg: { id: number; result?: unknown; error?: string };
        try {
          msg = JSON.parse(line);
        } catch {
          continue; // not an answer
        }
        const p = this.pending.get(msg.id);
        if (!p) continue;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.result);
      }
    });
    void server.exited.then(() => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        p.reject(new Error(`the client process exited:\n${server.output().slice(-3000)}`));
      }
    });
  }

  request<T>(cmd: string, args: unknown, timeoutMs: number): Promise<T> {
    if (this.server.hasExited()) return Promise.reject(new Error(`the client process has exited:\n${this.server.output().slice(-3000)}`));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${cmd}: no answer from the client process within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.server.child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
    });
  }
}

interface Service {
  /** The compose service name (and its DNS name on the stack's networks). */
  name: string;
  /** Position among the BindPlane processes (bindplane-jobs is 0). */
  index: number;
  /** Its own loopback address in the namespace (what its name and its aliases resolve to there). */
  ip: string;
  /** The environment BindPlane sees in that container. */
  env: Record<string, string>;
  /** Network aliases the service carries in docker-compose.yml, on any network. */
  aliases: string[];
}

interface Cluster {
  instances: number;
  work: string;
  shared: Record<string, string>;
  services: Service[];
  /** The services whose environment enables the embedded NATS server. */
  servers: Service[];
  /** The client endpoint's host (the alias), port and the subject. */
  alias: string;
  clientPort: number;
  subject: string;
  ns: Namespace;
  /** The running nats-server of each server service, by service name. */
  procs: Map<string, Server>;
  clients: Clients;
  clientProc: Server;
  natsServer: string;
}

/** `environment` as a map, whether compose has it as a map or a list of KEY=VALUE. */
function environmentOf(svc: { environment?: Record<string, unknown> | string[] }): Record<string, string> {
  const e = svc.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Every network alias of a service (`networks` as a list carries none). */
function aliasesOf(svc: { networks?: string[] | Record<string, { aliases?: string[] } | null> }): string[] {
  const n = svc.networks;
  if (!n || Array.isArray(n)) return [];
  return Object.values(n).flatMap((v) => v?.aliases ?? []);
}

/**
 * The nats-server configuration for one BindPlane process, from its environment only. Which
 * setting comes from which variable (nats-server config key <- BindPlane variable):
 *   server_name        <- BINDPLANE_NATS_SERVER_NAME          (docker-compose.yml, per service)
 *   host               <- BINDPLANE_NATS_SERVER_CLIENT_HOST   (0.0.0.0 -> the service's address, see top)
 *   port               <- BINDPLANE_NATS_SERVER_CLIENT_PORT   (x-nats-server-env, merged)
 *   http               <- BINDPLANE_NATS_SERVER_HTTP_HOST:BINDPLANE_NATS_SERVER_HTTP_PORT (host likewise)
 *   cluster.name       <- BINDPLANE_NATS_SERVER_CLUSTER_NAME
 *   cluster.host       <- BINDPLANE_NATS_SERVER_CLUSTER_HOST  (host likewise)
 *   cluster.port       <- BINDPLANE_NATS_SERVER_CLUSTER_PORT
 *   cluster.routes     <- BINDPLANE_NATS_SERVER_CLUSTER_ROUTES (the comma list, exactly as generated,
 *                         the server's own address included: nats-server drops a route to itself)
 * (A file rather than flags: the flags have no separate HTTP host.)
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

/** Starts (or starts again) the nats-server of one server service, in the namespace. */
function startNats(c: Cluster, s: Service): Server {
  const conf = path.join(c.work, `${s.name}.conf`);
  writeFileSync(conf, natsConfig(s));
  const proc = startServer(`nats-server ${s.name}`, 'nsenter', nsArgv(c.ns.nsPid, c.natsServer, ['-c', conf]), {
    lifetimeSeconds: LIFETIME_SECONDS,
    stdin: 'ignore',
  });
  c.procs.set(s.name, proc);
  return proc;
}

/**
 * Generates a stack and starts its NATS servers and the clients in a fresh namespace. `tamper`
 * may change a server's environment before its server starts (the negative check).
 */
async function startCluster(instances: number, tamper?: (s: Service) => void): Promise<Cluster> {
  const natsServer = requireTool('nats-server', NATS_HINT);
  const stack = await generateStack({ instances, eventBus: 'nats' });
  const work = tempDir('bpd-nats-');
  const shared = readEnvFile(path.join(stack, 'bindplane/bindplane.env'));
  const dotenv = readEnvFile(path.join(stack, '.env'));
  const compose = readCompose(stack); // merge keys resolved: x-bindplane-env and x-nats-server-env

  // The BindPlane processes: every service that takes bindplane/bindplane.env.
  const names = Object.keys(compose.services).filter((n) => {
    const f = compose.services[n].env_file;
    return (Array.isArray(f) ? f : f ? [f] : []).includes('./bindplane/bindplane.env');
  });
  const ordered = ['bindplane-jobs', ...Array.from({ length: instances }, (_, i) => `bindplane-${i + 1}`)];
  expect([...names].sort()).toEqual([...ordered].sort());
  const services: Service[] = ordered.map((name, index) => {
    const env: Record<string, string> = { ...shared };
    for (const [k, v] of Object.entries(environmentOf(compose.services[name]))) env[k] = interpolate(v, dotenv);
    return { name, index, ip: `127.0.0.${index + 2}`, env, aliases: aliasesOf(compose.services[name]) };
  });
  const servers = services.filter((s) => s.env.BINDPLANE_NATS_SERVER_ENABLE === 'true');
  for (const s of servers) tamper?.(s);
  const endpoint = new URL(shared.BINDPLANE_NATS_CLIENT_ENDPOINT!);

  // One hosts line per service: its name and every alias it carries (a key may hold several names).
  const hosts = Object.fromEntries(services.map((s) => [[s.name, ...s.aliases].join(' '), s.ip]));
  // The namespace's first process only keeps it open (bounded by its own lifetime too).
  const ns = await startInNamespace('nats', work, { hosts, cmd: 'sleep', args: [String(LIFETIME_SECONDS)], lifetimeSeconds: LIFETIME_SECONDS });
  const script = path.join(work, 'clients.mjs');
  writeFileSync(script, CLIENTS);
  const clientProc = startServer('nats clients', 'nsenter', nsArgv(ns.nsPid, process.execPath, [script, String(LIFETIME_SECONDS * 1000)]), {
    lifetimeSeconds: LIFETIME_SECONDS,
  });
  const c: Cluster = {
    instances,
    work,
    shared,
    services,
    servers,
    alias: endpoint.hostname,
    clientPort: Number(endpoint.port),
    subject: shared.BINDPLANE_NATS_CLIENT_SUBJECT!,
    ns,
    procs: new Map(),
    clients: new Clients(clientProc),
    clientProc,
    natsServer,
  };
  try {
    for (const s of servers) startNats(c, s);
  } catch (e) {
    await stopCluster(c);
    throw e;
  }
  return c;
}

async function stopCluster(c: Cluster | undefined): Promise<void> {
  if (!c) return;
  await stopServer(c.clientProc);
  await Promise.all([...c.procs.values()].map((s) => stopServer(s)));
  c.procs.clear();
  await stopServer(c.ns.server);
}

interface Varz {
  server_id: string;
  server_name: string;
  host: string;
  port: number;
  http_port: number;
  cluster: { name: string; addr: string; cluster_port: number; urls: string[] };
}
interface Routez {
  num_routes: number;
  /** subscriptions_list: the subjects the remote server has told this one its clients want. */
  routes: { remote_id: string; subscriptions_list?: string[] }[];
}
interface Connz {
  connections: { name?: string; subscriptions_list?: string[] }[];
}
interface Snapshot {
  varz: Record<string, Varz>;
  routez: Record<string, Routez>;
  connz: Record<string, Connz>;
}

/** /varz, /routez and /connz of the servers given, on their generated HTTP port; undefined if one does not answer. */
async function monitor(c: Cluster, servers: Service[]): Promise<Snapshot | undefined> {
  const eps = { varz: 'varz', routez: 'routez?subs=1', connz: 'connz?subs=1' } as const;
  const targets = servers.flatMap((s) =>
    Object.entries(eps).map(([k, ep]) => ({ key: `${s.name} ${k}`, url: `http://${s.ip}:${Number(s.env.BINDPLANE_NATS_SERVER_HTTP_PORT)}/${ep}` })),
  );
  const out = await c.clients.request<Record<string, { status?: number; body?: unknown; error?: string }>>('monitor', { targets }, 15_000);
  const snap: Snapshot = { varz: {}, routez: {}, connz: {} };
  for (const s of servers) {
    for (const k of Object.keys(eps) as (keyof typeof eps)[]) {
      const r = out[`${s.name} ${k}`];
      if (r?.status !== 200) return undefined;
      (snap[k] as Record<string, unknown>)[s.name] = r.body;
    }
  }
  return snap;
}

/** What is wrong with the routes among the running servers: each must be routed once to each other one. */
function routeProblems(snap: Snapshot, running: Service[]): string[] {
  const byId = new Map(Object.entries(snap.varz).map(([name, v]) => [v.server_id, name]));
  const problems: string[] = [];
  for (const s of running) {
    const r = snap.routez[s.name]!;
    const peers = r.routes.map((x) => byId.get(x.remote_id) ?? `unknown server ${x.remote_id}`).sort();
    const want = running
      .filter((o) => o !== s)
      .map((o) => o.name)
      .sort();
    if (r.num_routes !== want.length) problems.push(`${s.name}: num_routes ${r.num_routes}, want ${want.length}`);
    if (JSON.stringify(peers) !== JSON.stringify(want)) problems.push(`${s.name}: routed to [${peers.join(', ')}], want [${want.join(', ')}]`);
  }
  return problems;
}

/**
 * What keeps a message from reaching every subscriber: each running server must know, over its
 * route to every other running server that has subscribed clients, that those want the subject
 * (NATS forwards a message over a route only to a server that has said it wants the subject;
 * the word spreads asynchronously after a client subscribes).
 */
function interestProblems(c: Cluster, snap: Snapshot, running: Service[]): string[] {
  const byId = new Map(Object.entries(snap.varz).map(([name, v]) => [v.server_id, name]));
  const wanting = running.filter((t) => (snap.connz[t.name]?.connections ?? []).some((x) => x.subscriptions_list?.includes(c.subject)));
  const problems: string[] = [];
  for (const s of running) {
    for (const t of wanting) {
      if (t === s) continue;
      const route = snap.routez[s.name]!.routes.find((r) => byId.get(r.remote_id) === t.name);
      if (!route) problems.push(`${s.name}: no route to ${t.name}, whose clients subscribe to ${c.subject}`);
      else if (!(route.subscriptions_list ?? []).includes(c.subject)) problems.push(`${s.name}: not told that ${t.name}'s clients want ${c.subject}`);
    }
  }
  return problems;
}

/**
 * Waits (bounded) for the running servers to answer and route to each other (and, with
 * `interest`, to know their subscribed clients' interest over the routes); fails early if one exits.
 */
async function waitForRoutes(c: Cluster, running: Service[], opts: { interest?: boolean; timeoutMs?: number } = {}): Promise<Snapshot> {
  let last: Snapshot | undefined;
  let problems: string[] = ['no answer yet'];
  try {
    return await waitFor(
      `the routes among ${running.map((s) => s.name).join(', ')}${opts.interest ? ' and the interest they carry' : ''}`,
      async () => {
        const dead = running.map((s) => c.procs.get(s.name)!).find((p) => p.hasExited());
        if (dead) throw new Error(`${dead.name} exited:\n${dead.output().slice(-3000)}`);
        last = await monitor(c, running);
        problems = last ? routeProblems(last, running) : ['a server does not answer on its monitoring port'];
        if (last && opts.interest) problems.push(...interestProblems(c, last, running));
        return problems.length === 0 ? last : undefined;
      },
      { timeoutMs: opts.timeoutMs ?? 15_000, intervalMs: 100 },
    );
  } catch (e) {
    const out = running.map((s) => `${s.name}:\n${c.procs.get(s.name)?.output().slice(-1500)}`).join('\n');
    throw new Error(`${(e as Error).message}\nlast problems: ${problems.join('; ')}\n${out}`, { cause: e });
  }
}

/** Connects one client per BindPlane process through the alias; what the resolver said, and where each landed. */
async function connectClients(c: Cluster): Promise<{ hosts: string[]; glibc: string[] | { error: string }; state: Record<string, ClientState> }> {
  const list = c.services.map((s) => ({ name: s.name, clientName: s.env.BINDPLANE_NATS_CLIENT_NAME, index: s.index }));
  return c.clients.request('connect', { alias: c.alias, port: c.clientPort, subject: c.subject, list }, 20_000);
}

async function deliver(c: Cluster, publisher: string): Promise<Delivery> {
  return c.clients.request<Delivery>('deliver', { publisher, nonce: Math.random().toString(36).slice(2) }, 20_000);
}

/** What is wrong with a delivery: every client must have received the message exactly once, on the subject alone. */
function deliveryProblems(c: Cluster, d: Delivery): string[] {
  const problems = d.protocolErrors.map((e) => `protocol error: ${e}`);
  for (const s of c.services) {
    const got = d.received[s.name];
    if (!got) problems.push(`${s.name}: no client`);
    else {
      if (got.times !== 1) problems.push(`${s.name} (on ${got.server}) received the message ${got.times} times`);
      const strays = got.subjects.filter((x) => x !== c.subject);
      if (strays.length > 0) problems.push(`${s.name} received on other subjects: ${strays.join(', ')}`);
    }
  }
  return problems;
}

/** Which server each client name is listed on in /connz; fails on a client listed twice. */
function connzPlacement(snap: Snapshot): Record<string, string> {
  const at: Record<string, string> = {};
  for (const [server, z] of Object.entries(snap.connz)) {
    for (const conn of z.connections ?? []) {
      const name = conn.name ?? '(no name)';
      expect(at[name], `${name} is listed on ${at[name]} and on ${server}`).toBeUndefined();
      at[name] = server;
    }
  }
  return at;
}

const SIZES = (process.env.BPD_NATS_INSTANCES ?? '1,3,16').split(',').map(Number);
for (const n of SIZES) if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`BPD_NATS_INSTANCES: ${n} is not a whole number from 1 to 64`);
/** What each size ran with, to compare sizes at the end. */
const seen = new Map<number, { routes: string; servers: string[]; numRoutes: Record<string, number> }>();
const TEMPLATE_SERVERS = ['bindplane-jobs', 'bindplane-1', 'bindplane-2'];

describe.each(SIZES)('NATS with %i instances: fixed servers, every process a client of the alias', (instances) => {
  let c: Cluster;
  let snap: Snapshot;
  let started: number;

  beforeAll(async () => {
    started = Date.now();
    c = await startCluster(instances);
    snap = await waitForRoutes(c, c.servers);
  }, 60_000);

  afterAll(async () => {
    await stopCluster(c);
    cleanupTempDirs();
  });

  it('marks exactly the first min(3, processes) processes as NATS servers, the rest as clients only', () => {
    const expected = TEMPLATE_SERVERS.slice(0, Math.min(3, instances + 1));
    expect(c.services.length).toBe(instances + 1);
    expect(c.servers.map((s) => s.name)).toEqual(expected);
    // The alias the client endpoint names is carried by exactly the servers.
    expect(c.alias).toBeTruthy();
    expect(c.services.filter((s) => s.aliases.includes(c.alias)).map((s) => s.name)).toEqual(expected);
    for (const s of c.services) {
      expect(s.env.BINDPLANE_EVENT_BUS_TYPE, s.name).toBe('nats');
      expect(s.env.BINDPLANE_NATS_CLIENT_NAME, s.name).toBe(s.name);
      const serverVars = Object.keys(s.env).filter((k) => k.startsWith('BINDPLANE_NATS_SERVER_'));
      if (expected.includes(s.name)) {
        expect(s.env.BINDPLANE_NATS_SERVER_NAME, s.name).toBe(s.name);
        expect(s.env.BINDPLANE_NATS_SERVER_CLIENT_PORT, s.name).toBe(String(c.clientPort));
      } else expect(serverVars, `${s.name} is no NATS server`).toEqual([]);
    }
    // Every process, server or not, is a client of the alias on the servers' client port.
    expect(new URL(c.shared.BINDPLANE_NATS_CLIENT_ENDPOINT!).protocol).toBe('nats:');
    expect(c.subject).toBeTruthy();
    // The routes name the servers once each, on the cluster port, the same on every server.
    for (const s of c.servers) {
      expect(s.env.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES, s.name).toBe(
        c.servers.map((o) => `nats://${o.name}:${o.env.BINDPLANE_NATS_SERVER_CLUSTER_PORT}`).join(','),
      );
    }
  });

  it('runs each server with the generated name, cluster name and ports, routed to each other server once', () => {
    for (const s of c.servers) {
      const v = snap.varz[s.name]!;
      expect(v.server_name).toBe(s.env.BINDPLANE_NATS_SERVER_NAME);
      expect(v.host).toBe(s.ip);
      expect(v.port).toBe(Number(s.env.BINDPLANE_NATS_SERVER_CLIENT_PORT));
      expect(v.http_port).toBe(Number(s.env.BINDPLANE_NATS_SERVER_HTTP_PORT));
      expect(v.cluster.name).toBe(s.env.BINDPLANE_NATS_SERVER_CLUSTER_NAME);
      expect(v.cluster.cluster_port).toBe(Number(s.env.BINDPLANE_NATS_SERVER_CLUSTER_PORT));
      expect([...v.cluster.urls].sort()).toEqual(
        s.env
          .BINDPLANE_NATS_SERVER_CLUSTER_ROUTES!.split(',')
          .map((r) => r.replace(/^nats:\/\//, ''))
          .sort(),
      );
      expect(snap.routez[s.name]!.num_routes, s.name).toBe(c.servers.length - 1);
    }
    expect(routeProblems(snap, c.servers)).toEqual([]);
    expect(new Set(Object.values(snap.varz).map((v) => v.server_id)).size).toBe(c.servers.length);
    seen.set(instances, {
      routes: c.servers[0]!.env.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES!,
      servers: c.servers.map((s) => s.name),
      numRoutes: Object.fromEntries(c.servers.map((s) => [s.name, snap.routez[s.name]!.num_routes])),
    });
  });

  it('connects one client per process through the alias, spread over the servers', async () => {
    const r = await connectClients(c);
    const serverIps = c.servers.map((s) => s.ip);
    // What Docker's DNS would answer for the alias: every server's address.
    expect(r.hosts).toEqual(serverIps);
    // What glibc answers from the same /etc/hosts (see the top of the file): servers only.
    expect(Array.isArray(r.glibc), JSON.stringify(r.glibc)).toBe(true);
    expect((r.glibc as string[]).length).toBeGreaterThan(0);
    for (const ip of r.glibc as string[]) expect(serverIps).toContain(ip);
    const byIp = new Map(c.servers.map((s) => [s.ip, s.name]));
    for (const s of c.services) {
      const st = r.state[s.name]!;
      expect(st.ready, `${s.name}: ${st.lastFailure}`).toBe(true);
      expect(st.server, s.name).toBe(byIp.get(st.ip!));
    }
    // Each client is listed once, by its BINDPLANE_NATS_CLIENT_NAME, on the server it landed on,
    // subscribed to the generated subject.
    const s2 = (await monitor(c, c.servers))!;
    const at = connzPlacement(s2);
    expect(Object.keys(at).sort()).toEqual(c.services.map((s) => s.env.BINDPLANE_NATS_CLIENT_NAME!).sort());
    for (const s of c.services) expect(at[s.env.BINDPLANE_NATS_CLIENT_NAME!], s.name).toBe(r.state[s.name]!.server);
    for (const z of Object.values(s2.connz)) for (const conn of z.connections) expect(conn.subscriptions_list).toEqual([c.subject]);
    const used = new Set(Object.values(at));
    expect(used.size).toBeGreaterThanOrEqual(Math.min(2, c.servers.length));
    console.log(
      `NATS ${instances} instances: glibc resolves ${c.alias} to ${JSON.stringify(r.glibc)}; clients per server ${JSON.stringify(Object.fromEntries(c.servers.map((s) => [s.name, Object.values(at).filter((x) => x === s.name).length])))}`,
    );
  });

  it('delivers what a client on one server publishes to every client, on every server, exactly once', async () => {
    const st = (await c.clients.request<{ state: Record<string, ClientState> }>('state', {}, 5_000)).state;
    // Once every server knows the others' subscriptions, publish one message from each server in
    // turn (through a client connected to it), once, never retried.
    await waitForRoutes(c, c.servers, { interest: true });
    for (const s of c.servers) {
      const publisher = c.services.find((p) => st[p.name]!.server === s.name)!;
      expect(publisher, `a client on ${s.name}`).toBeDefined();
      const d = await deliver(c, publisher.name);
      expect(d.publisherServer).toBe(s.name);
      expect(deliveryProblems(c, d), `published by ${publisher.name} on ${s.name}`).toEqual([]);
      // Others than the publisher's server's clients got it: it crossed the routes.
      if (c.servers.length > 1) expect(Object.values(d.received).some((x) => x.server !== s.name)).toBe(true);
    }
  });

  it('loses no message published after the clients of a stopped server reconnect through the alias (each server in turn)', async () => {
    for (const x of c.servers) {
      const t0 = Date.now();
      const before = (await c.clients.request<{ state: Record<string, ClientState> }>('state', {}, 5_000)).state;
      const moved = c.services.filter((s) => before[s.name]!.server === x.name).map((s) => s.name);
      expect(moved.length, `clients on ${x.name}`).toBeGreaterThan(0);
      await stopServer(c.procs.get(x.name)!);
      c.procs.delete(x.name);
      const survivors = c.servers.filter((s) => s !== x);

      // Every client is subscribed again, none to the stopped server: those that were on it moved
      // (through the alias), the others kept their connection.
      const after = (await c.clients.request<{ state: Record<string, ClientState> }>('waitReady', { avoid: x.ip, timeoutMs: 10_000 }, 15_000)).state;
      for (const s of c.services) {
        const a = after[s.name]!;
        const b = before[s.name]!;
        if (moved.includes(s.name)) {
          expect(a.drops, s.name).toBe(b.drops + 1);
          expect(survivors.map((o) => o.name)).toContain(a.server);
        } else {
          expect(a.drops, s.name).toBe(b.drops);
          expect(a.server, s.name).toBe(b.server);
        }
      }
      const snapAfter = await waitForRoutes(c, survivors, { interest: true });
      const at = connzPlacement(snapAfter);
      for (const s of c.services) expect(at[s.env.BINDPLANE_NATS_CLIENT_NAME!], s.name).toBe(after[s.name]!.server);

      // Published (once each) after the reconnection and once the survivors know where the clients
      // now are, by a client that moved and by one that did not: every client gets each exactly once.
      const publishers = [moved[0]!, c.services.find((s) => !moved.includes(s.name))?.name].filter((p): p is string => !!p);
      for (const p of publishers) {
        const d = await deliver(c, p);
        expect(deliveryProblems(c, d), `${x.name} stopped, published by ${p} on ${d.publisherServer}`).toEqual([]);
      }

      // Back as it was: the server starts again and rejoins the routes.
      startNats(c, x);
      await waitForRoutes(c, c.servers);
      console.log(`NATS ${instances} instances: ${x.name} stopped, ${moved.length} client(s) moved, delivered, restarted in ${Date.now() - t0} ms`);
    }
    console.log(`NATS ${instances} instances: ${Date.now() - started} ms in all`);
  });
});

describe('NATS routes across instance counts', () => {
  const sizes = SIZES.filter((n) => n >= 2);
  it.runIf(sizes.length >= 2)(`keeps the same routes and route count at ${sizes.join(', ')} instances`, () => {
    const first = seen.get(sizes[0]!);
    expect(first, `no result for ${sizes[0]} instances`).toBeDefined();
    expect(first!.servers.length).toBe(3);
    for (const n of sizes) expect(seen.get(n), `${n} instances`).toEqual(first);
    // 3 servers, 2 routes each: 6 route ends in all, whatever the number of instances.
    expect(Object.values(first!.numRoutes)).toEqual([2, 2, 2]);
  });
});

describe('NATS negative check: a routes value that names no server', () => {
  let c: Cluster;

  beforeAll(async () => {
    // As if the shared routes value had a typo: every route points at a name that does not exist.
    c = await startCluster(3, (s) => {
      s.env.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES = s.env.BINDPLANE_NATS_SERVER_CLUSTER_ROUTES!.replace(/nats:\/\/[^:,]+:/g, 'nats://nats-routes-typo:');
    });
  }, 60_000);

  afterAll(async () => {
    await stopCluster(c);
    cleanupTempDirs();
  });

  it('is caught: the route, interest and cross-server delivery checks all report it', async () => {
    await waitFor('the servers to answer', () => monitor(c, c.servers), { timeoutMs: 10_000 });
    const r = await connectClients(c);
    // The wait the positive checks make before publishing gives up (bounded), saying why.
    await expect(waitForRoutes(c, c.servers, { interest: true, timeoutMs: 1_500 })).rejects.toThrow(/bindplane-jobs: num_routes 0, want 2/);
    const snap = (await monitor(c, c.servers))!;
    expect(routeProblems(snap, c.servers)).toContain('bindplane-jobs: num_routes 0, want 2');
    expect(interestProblems(c, snap, c.servers)).toContain(`bindplane-jobs: no route to bindplane-1, whose clients subscribe to ${c.subject}`);
    // Published anyway: only the clients on the publisher's own server get it; the helper names the others.
    const d = await deliver(c, c.services[c.services.length - 1]!.name);
    const elsewhere = c.services.filter((s) => r.state[s.name]!.server !== d.publisherServer);
    expect(elsewhere.length).toBeGreaterThan(0);
    expect(deliveryProblems(c, d).sort()).toEqual(elsewhere.map((s) => `${s.name} (on ${r.state[s.name]!.server}) received the message 0 times`).sort());
  });
});
