// The generated nginx.conf, run by a real nginx in front of stand-in Bindplane instances.
//
// Everything runs in a private network and mount namespace (`unshare --net --mount`): a private
// /etc/hosts maps each `bindplane-N` to its own loopback address 127.0.0.(N+1), and the generated
// folders are bind-mounted where docker-compose.yml mounts them (./nginx at /etc/nginx/bindplane,
// ./local/tls at /etc/nginx/tls), so nginx runs with the compose service's own command line.
// A small node harness is the namespace's first process: it starts N backends (HTTP servers that
// answer with their own name and echo on websockets) and nginx, then opens a unix socket per nginx
// port so this test process can reach them from outside the namespace. openssl and curl run inside
// the namespace through nsenter, over real TCP.
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, generateStack, tempDir } from '../helpers/stack.js';
import {
  isAlive,
  mustRun,
  nsRun,
  readCompose,
  readEnvFile,
  recordDescendants,
  requireTool,
  startInNamespace,
  stopServer,
  waitFor,
  type Namespace,
  type NamespaceMount,
} from './helpers.js';

const WS_MODULE = createRequire(import.meta.url).resolve('ws');

// A stand-in Bindplane instance: answers every request with its name (JSON body and an
// X-Backend header) and echoes websocket messages on /v1/opamp, prefixed with its name.
const BACKEND = `
const http = require('node:http');
const { WebSocketServer } = require(${JSON.stringify(WS_MODULE)});
const [name, host, port] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  // ?fail-NAME=CODE: this instance answers CODE, as a Bindplane that is starting or overloaded would.
  const fail = new URL(req.url, 'http://x').searchParams.get('fail-' + name);
  if (fail) {
    res.writeHead(Number(fail), { 'x-backend': name });
    return res.end();
  }
  const body = JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers });
  res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
  res.end(body);
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  if (!req.url.startsWith('/v1/opamp')) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send(JSON.stringify({ hello: name, headers: req.headers }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) ws.send(Buffer.concat([Buffer.from(name + ':'), data]), { binary: true });
      else ws.send(name + ': ' + data.toString());
    });
  });
});
server.listen(Number(port), host);
process.on('SIGTERM', () => process.exit(0));
`;

// The namespace's first process: starts the backends, waits for them, starts nginx, waits for its
// ports, bridges each nginx port to a unix socket, prints READY with every pid. It stops its
// children when told (SIGTERM/SIGINT) or when its stdin closes (the test process died).
const HARNESS = `
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const children = new Map();
const say = (s) => process.stdout.write(s + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function start(name, cmd, args, out = 'inherit') {
  const c = spawn(cmd, args, { stdio: ['ignore', out, out] });
  children.set(name, c);
  c.on('exit', (code, sig) => say('EXIT ' + name + ' ' + (code ?? sig)));
  return c;
}
function connects(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
async function waitPort(host, port, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('process for ' + host + ':' + port + ' exited');
    if (await connects(host, port)) return;
    await sleep(100);
  }
  throw new Error(host + ':' + port + ' never accepted connections');
}
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  for (let i = 0; i < 30 && [...children.values()].some((c) => c.exitCode === null && c.signalCode === null); i++) await sleep(100);
  for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.resume();
try {
  const backends = cfg.backends.map((b) => [b, start(b.name, process.execPath, [cfg.backendScript, b.name, b.host, String(b.port)])]);
  for (const [b, c] of backends) await waitPort(b.host, b.port, c);
  // nginx opens /dev/stderr and /dev/stdout (its error_log and access_log). Docker gives a
  // container pipes; node gives children socketpairs, which cannot be opened through /dev/std*
  // (ENXIO). So nginx writes into a named pipe that this harness copies to its own output.
  // The read end is non-blocking and read through libuv's pipe handling (a blocking fs read
  // would hold a thread-pool thread and keep this process from exiting); the write end is closed
  // here once nginx has it, so the reader sees the end when nginx exits.
  execFileSync('mkfifo', [cfg.nginx.fifo]);
  const readFd = fs.openSync(cfg.nginx.fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  new net.Socket({ fd: readFd, readable: true, writable: false }).pipe(process.stdout);
  const writeFd = fs.openSync(cfg.nginx.fifo, fs.constants.O_WRONLY);
  const nginx = start('nginx', cfg.nginx.cmd, cfg.nginx.args, writeFd);
  fs.closeSync(writeFd);
  for (const p of cfg.nginx.ports) await waitPort(p.host, p.port, nginx);
  for (const br of cfg.bridges) {
    const srv = net.createServer((c) => {
      const u = net.connect({ host: br.host, port: br.port });
      const kill = () => { c.destroy(); u.destroy(); };
      c.on('error', kill); u.on('error', kill); c.on('close', kill); u.on('close', kill);
      c.pipe(u); u.pipe(c);
    });
    await new Promise((resolve, reject) => { srv.once('error', reject); srv.listen(br.socket, resolve); });
  }
  say('READY ' + JSON.stringify({ harness: process.pid, pids: Object.fromEntries([...children].map(([n, c]) => [n, c.pid])) }));
} catch (e) {
  say('FAILED ' + e.message);
  shutdown(1);
}
`;

interface Lb {
  stack: string;
  ns: Namespace;
  pids: Record<string, number>;
  names: string[];
  tls: boolean;
  /** Unix socket bridged to nginx's main port inside the namespace. */
  socket: string;
  /** Unix socket bridged to nginx's own health listener. */
  healthSocket: string;
  port: number;
  healthPort: number;
  ca?: Buffer;
  confText: string;
}

/**
 * Changes to the generated nginx.conf that this sandbox forces, and only those. Each must apply,
 * so a template change cannot silently leave the test running a different configuration.
 */
function sandboxConf(conf: string, port: number, instances: number): string {
  let out = conf;
  // 1. nginx here is Debian's 1.22; `resolve` on upstream servers needs 1.27.3 (the stack's image is
  //    1.28). Without it nginx resolves each bindplane-N once at start, from our private hosts file.
  const resolveCount = out.match(/^(\s*server bindplane-\d+:\d+) resolve /gm)?.length ?? 0;
  expect(resolveCount, 'every upstream server uses `resolve`').toBe(instances);
  out = out.replace(/^(\s*server bindplane-\d+:\d+) resolve /gm, '$1 ');
  // 2. `resolver 127.0.0.11` (Docker's embedded DNS) is kept unchanged: nothing reachable answers
  //    there, but nginx only queries a resolver for names resolved at run time, and with `resolve`
  //    gone there are none, so it is never asked. (Startup does not contact it.)
  expect(out).toMatch(/^\s*resolver 127\.0\.0\.11 /m);
  // 3. In compose, nginx and each instance have their own network namespace; here they share one,
  //    and nginx's wildcard listener on the port would collide with the instances' 127.0.0.x on the
  //    same port (both default to 3001). So the main listener binds 127.0.0.1 only.
  const listen = new RegExp(`^(\\s*listen )${port}( ssl)?;`, 'm');
  expect(out, 'the main listener').toMatch(listen);
  out = out.replace(listen, `$1127.0.0.1:${port}$2;`);
  return out;
}

async function startLb(answers: Parameters<typeof generateStack>[0]): Promise<Lb> {
  for (const t of ['nginx', 'openssl', 'curl']) requireTool(t);
  const stack = await generateStack(answers);
  const work = tempDir('bpd-nginx-');
  const compose = readCompose(stack);
  const lbService = compose.services.loadbalancer;
  // The compose service's command, as the image would run it.
  expect(lbService.command.slice(0, 3)).toEqual(['nginx', '-c', '/etc/nginx/bindplane/nginx.conf']);
  expect(lbService.command.slice(3)).toEqual(['-g', 'daemon off;']);

  const confText = readFileSync(path.join(stack, 'nginx/nginx.conf'), 'utf8');
  const port = Number(/^\s*listen (\d+)( ssl)?;/m.exec(confText)![1]);
  const healthPort = Number(/^\s*listen 127\.0\.0\.1:(\d+);/m.exec(confText)![1]);
  const names = Object.keys(compose.services)
    .filter((s) => /^bindplane-\d+$/.test(s))
    .sort();
  expect(names.length).toBe(answers?.instances ?? 3);
  // The upstream lists exactly those services, on Bindplane's port.
  const upstream = [...confText.matchAll(/^\s*server (bindplane-\d+):(\d+) /gm)];
  expect(upstream.map((m) => m[1]).sort()).toEqual(names);
  const backendPort = Number(upstream[0]![2]);
  expect(new Set(upstream.map((m) => m[2]))).toEqual(new Set([String(backendPort)]));
  // ...the port every instance listens on.
  expect(readEnvFile(path.join(stack, 'bindplane/bindplane.env')).BINDPLANE_PORT).toBe(String(backendPort));

  // The nginx folder as mounted by compose (./nginx:/etc/nginx/bindplane), with the sandbox edits.
  const nginxDir = path.join(work, 'nginx');
  cpSync(path.join(stack, 'nginx'), nginxDir, { recursive: true });
  writeFileSync(path.join(nginxDir, 'nginx.conf'), sandboxConf(confText, port, names.length));

  const isTls = answers?.tls === 'selfSigned';
  const mounts: NamespaceMount[] = [
    // A private, empty /etc/nginx (the image's own files are not used by this configuration), with
    // the two folders compose mounts.
    { source: 'tmpfs', target: '/etc/nginx' },
    { source: nginxDir, target: '/etc/nginx/bindplane', mkdir: true, readOnly: true },
    // nginx keeps request bodies and buffers under its compiled-in /var/lib/nginx: a private tmpfs,
    // so the host's folder is never written.
    { source: 'tmpfs', target: '/var/lib/nginx', mkdir: true },
  ];
  let ca: Buffer | undefined;
  if (isTls) {
    // The certificate comes from the generated script, exactly as `make certs` runs it.
    mustRun('sh', ['scripts/tls-self-signed.sh', 'local/tls'], { cwd: stack });
    ca = readFileSync(path.join(stack, 'local/tls/tls.crt'));
    mounts.push({ source: path.join(stack, 'local/tls'), target: '/etc/nginx/tls', mkdir: true, readOnly: true });
  }

  const backendScript = path.join(work, 'backend.cjs');
  writeFileSync(backendScript, BACKEND);
  const harness = path.join(work, 'harness.mjs');
  writeFileSync(harness, HARNESS);
  const hosts: Record<string, string> = {};
  names.forEach((n, i) => (hosts[n] = `127.0.0.${i + 2}`));
  const socket = path.join(work, 'lb.sock');
  const healthSocket = path.join(work, 'health.sock');
  const cfg = {
    backendScript,
    backends: names.map((n) => ({ name: n, host: hosts[n], port: backendPort })),
    nginx: {
      cmd: 'nginx',
      fifo: path.join(work, 'nginx.log.fifo'),
      // The compose command; `-e stderr` keeps nginx's pre-config log off /var/log, and the pid file
      // goes to the test folder instead of the host's /run/nginx.pid.
      args: ['-e', 'stderr', ...lbService.command.slice(1, 3), '-g', `${lbService.command[4]} pid ${path.join(work, 'nginx.pid')};`],
      ports: [
        { host: '127.0.0.1', port },
        { host: '127.0.0.1', port: healthPort },
      ],
    },
    bridges: [
      { socket, host: '127.0.0.1', port },
      { socket: healthSocket, host: '127.0.0.1', port: healthPort },
    ],
  };
  const cfgPath = path.join(work, 'harness.json');
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const ns = await startInNamespace('nginx', work, { hosts, mounts, cmd: process.execPath, args: [harness, cfgPath], lifetimeSeconds: 240 });
  let ready: { pids: Record<string, number> };
  try {
    ready = await waitFor(
      'the nginx harness to be ready',
      () => {
        const out = ns.server.output();
        if (out.includes('FAILED ')) throw new Error(out);
        const m = /^READY (.*)$/m.exec(out);
        return m ? (JSON.parse(m[1]!) as { pids: Record<string, number> }) : undefined;
      },
      { server: ns.server, timeoutMs: 30_000 },
    );
  } catch (e) {
    await stopServer(ns.server);
    throw e;
  }
  // Backends, nginx and its workers: recorded so they are swept by pid even if the harness dies.
  recordDescendants(ns.server);
  return { stack, ns, pids: ready.pids, names, tls: isTls, socket, healthSocket, port, healthPort, ca, confText };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request through the bridge to nginx (HTTPS with the generated certificate as the only CA). */
function request(lb: Lb, urlPath: string, opts: { socket?: string; servername?: string; noTls?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const useTls = lb.tls && !opts.noTls;
    const common = {
      socketPath: opts.socket ?? lb.socket,
      path: urlPath,
      method: 'GET',
      agent: false as const,
      headers: { host: `localhost:${lb.port}` },
      timeout: 5_000,
    };
    const req = useTls
      ? https.request({ ...common, ca: lb.ca, servername: opts.servername ?? 'localhost', host: opts.servername ?? 'localhost' })
      : http.request(common);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`request ${urlPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `count` sequential requests (a bounded loop); the X-Backend of each. */
async function spread(lb: Lb, count: number, urlPath = '/'): Promise<{ statuses: number[]; byBackend: Record<string, number> }> {
  const statuses: number[] = [];
  const byBackend: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const r = await request(lb, `${urlPath}${urlPath.includes('?') ? '&' : '?'}i=${i}`);
    statuses.push(r.status);
    const b = String(r.headers['x-backend'] ?? 'none');
    byBackend[b] = (byBackend[b] ?? 0) + 1;
  }
  return { statuses, byBackend };
}

interface Message {
  data: Buffer;
  isBinary: boolean;
}

/** A websocket to /v1/opamp through nginx, with a queue of received messages. */
async function openSocket(lb: Lb, servername = 'localhost'): Promise<{ ws: WebSocket; next: (ms?: number) => Promise<Message> }> {
  const url = `${lb.tls ? 'wss' : 'ws'}://${servername}:${lb.port}/v1/opamp`;
  const queue: Message[] = [];
  const waiters: ((m: Message) => void)[] = [];
  const ws = new WebSocket(url, {
    handshakeTimeout: 5_000,
    ca: lb.ca,
    // Reach nginx through the bridge; the URL's host and port still name it (Host, SNI, verification).
    createConnection: ((opts: tls.ConnectionOptions) =>
      lb.tls ? tls.connect({ ...opts, path: lb.socket, servername, ca: lb.ca }) : net.connect({ path: lb.socket })) as never,
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const m = { data: Buffer.from(data), isBinary };
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (ms = 5_000) =>
    new Promise<Message>((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      const t = setTimeout(() => reject(new Error('no websocket message in time')), ms);
      waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  return { ws, next };
}

async function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 3_000);
    ws.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    ws.close(1000, 'done');
  });
}

/** Opens a websocket, checks the greeting and an echo in each direction; returns the backend's name. */
async function websocketRoundTrip(lb: Lb, servername?: string): Promise<string> {
  const { ws, next } = await openSocket(lb, servername);
  try {
    const hello = JSON.parse((await next()).data.toString()) as { hello: string; headers: Record<string, string> };
    expect(lb.names).toContain(hello.hello);
    expect(hello.headers.upgrade).toBe('websocket');
    expect(hello.headers.connection?.toLowerCase()).toBe('upgrade');
    expect(hello.headers['x-forwarded-proto']).toBe(lb.tls ? 'https' : 'http');
    ws.send('ping from the agent');
    const text = await next();
    expect(text.isBinary).toBe(false);
    expect(text.data.toString()).toBe(`${hello.hello}: ping from the agent`);
    // OpAMP frames are binary protobuf.
    const payload = Buffer.from([0x0a, 0x10, 0x00, 0xff, 0x42]);
    ws.send(payload, { binary: true });
    const bin = await next();
    expect(bin.isBinary).toBe(true);
    expect(bin.data.equals(Buffer.concat([Buffer.from(`${hello.hello}:`), payload]))).toBe(true);
    return hello.hello;
  } finally {
    await closeSocket(ws);
  }
}

/** Kills one backend by pid (from outside the namespace) and waits for the harness to see it go. */
async function stopBackend(lb: Lb, name: string): Promise<void> {
  const pid = lb.pids[name]!;
  process.kill(pid, 'SIGTERM');
  await waitFor(`${name} (pid ${pid}) to stop`, () => (!isAlive(pid) && lb.ns.server.output().includes(`EXIT ${name} `)) || undefined, { timeoutMs: 10_000 });
}

describe('nginx.conf (tls none) in front of 3 stand-in instances', () => {
  let lb: Lb;

  beforeAll(async () => {
    lb = await startLb({ instances: 3 });
  });

  afterAll(async () => {
    if (lb) await stopServer(lb.ns.server);
    cleanupTempDirs();
  });

  it('spreads requests over every instance', async () => {
    const { statuses, byBackend } = await spread(lb, 30);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(Object.keys(byBackend).sort()).toEqual(lb.names);
    // Round robin without weights: an even share each.
    for (const n of lb.names) expect(byBackend[n]).toBe(10);
  });

  it('answers /health through the upstream, and its own health listener directly', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await request(lb, '/health');
      expect(r.status).toBe(200);
      const body = JSON.parse(r.body) as { name: string; url: string };
      expect(body.url).toBe('/health');
      seen.add(body.name);
    }
    expect([...seen].sort()).toEqual(lb.names);
    const own = await request(lb, '/nginx-health', { socket: lb.healthSocket });
    expect(own.status).toBe(200);
    expect(own.body).toBe('ok\n');
  });

  it('passes Host and X-Forwarded-* to the instances; hides its version', async () => {
    const r = await request(lb, '/v1/some/api');
    const body = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/v1/some/api');
    expect(body.headers.host).toBe(`localhost:${lb.port}`);
    expect(body.headers['x-forwarded-proto']).toBe('http');
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(r.headers.server).toBe('nginx');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['strict-transport-security']).toBeUndefined();
  });

  it('carries an OpAMP websocket on /v1/opamp both ways, to every instance in turn', async () => {
    // Two rounds of sequential connections: round robin (one shared zone, equal weights) hands them
    // out in a fixed cycle, so each instance takes one per round, in the same order each round.
    const n = lb.names.length;
    const served: string[] = [];
    for (let i = 0; i < 2 * n; i++) served.push(await websocketRoundTrip(lb));
    expect([...served.slice(0, n)].sort(), `first round: ${served.join(' ')}`).toEqual(lb.names);
    expect(served.slice(n), `second round repeats the first: ${served.join(' ')}`).toEqual(served.slice(0, n));
  });

  it('also answers over real TCP inside the namespace (curl)', () => {
    const r = nsRun(lb.ns.nsPid, 'curl', ['-sS', '-i', '--max-time', '5', `http://localhost:${lb.port}/health`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.stdout).toMatch(/^Server: nginx\r?$/m);
    expect(r.stdout).toMatch(/^X-Backend: bindplane-\d+\r?$/im);
  });

  it('retries a request that an instance answers with 502, 503 or 504 on another: none fails', async () => {
    // The instance the next test stops: being marked failed (max_fails) does not matter there.
    const victim = lb.names[1]!;
    for (const code of [502, 503, 504]) {
      const { statuses, byBackend } = await spread(lb, 9, `/v1/some/api?fail-${victim}=${code}`);
      expect(
        statuses.every((s) => s === 200),
        `${code}: ${statuses.join(' ')}`,
      ).toBe(true);
      expect(Object.keys(byBackend).sort()).toEqual(lb.names.filter((n) => n !== victim));
    }
  });

  it('skips a stopped instance: the others keep answering HTTP and websockets', async () => {
    const victim = lb.names[1]!;
    await stopBackend(lb, victim);
    const { statuses, byBackend } = await spread(lb, 30);
    // proxy_next_upstream retries a refused connection on the next instance: no request fails.
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(Object.keys(byBackend).sort()).toEqual(lb.names.filter((n) => n !== victim));
    for (let i = 0; i < 4; i++) expect(await websocketRoundTrip(lb)).not.toBe(victim);
    expect((await request(lb, '/health')).status).toBe(200);
  });

  it('fails /health only when no instance is left', async () => {
    for (const n of lb.names) if (isAlive(lb.pids[n]!)) await stopBackend(lb, n);
    const r = await request(lb, '/health');
    expect(r.status).toBe(502);
    expect(r.headers.server).toBe('nginx');
    expect(r.body).not.toMatch(/nginx\/\d/);
    // nginx itself stays healthy for its container healthcheck.
    expect((await request(lb, '/nginx-health', { socket: lb.healthSocket })).status).toBe(200);
  });
});

describe('nginx.conf with tls=selfSigned and the generated certificate', () => {
  let lb: Lb;
  let certFile: string;

  beforeAll(async () => {
    lb = await startLb({ instances: 3, tls: 'selfSigned', httpPort: 8443 });
    certFile = path.join(tempDir('bpd-ca-'), 'ca.crt');
    copyFileSync(path.join(lb.stack, 'local/tls/tls.crt'), certFile);
  });

  afterAll(async () => {
    if (lb) await stopServer(lb.ns.server);
    cleanupTempDirs();
  });

  it('serves HTTPS that verifies against the generated certificate, over every instance', async () => {
    const { statuses, byBackend } = await spread(lb, 9);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(Object.keys(byBackend).sort()).toEqual(lb.names);
    const r = await request(lb, '/health');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).headers['x-forwarded-proto']).toBe('https');
    // Demo agents dial the load balancer by its service name: the certificate names it too.
    expect((await request(lb, '/health', { servername: 'loadbalancer' })).status).toBe(200);
  });

  it('sends no HSTS with a self-signed certificate, and hides its version', async () => {
    const r = await request(lb, '/');
    expect(r.headers['strict-transport-security']).toBeUndefined();
    expect(r.headers.server).toBe('nginx');
    expect(r.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  });

  it('refuses a name the certificate does not carry', async () => {
    await expect(request(lb, '/health', { servername: 'bindplane.example.com' })).rejects.toThrow(/altnames|Hostname/i);
  });

  it('carries wss:// on /v1/opamp both ways', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 3; i++) served.add(await websocketRoundTrip(lb));
    expect(served.size).toBeGreaterThanOrEqual(2);
  });

  const sClient = (args: string[]) =>
    nsRun(lb.ns.nsPid, 'openssl', ['s_client', '-connect', `127.0.0.1:${lb.port}`, '-servername', 'localhost', '-CAfile', certFile, ...args], {
      input: '',
      timeoutMs: 15_000,
    });

  it('refuses TLS 1.1 (openssl s_client against the running nginx)', () => {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal is the server's.
    const r = sClient(['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0']);
    const out = r.stdout + r.stderr;
    expect(r.status).not.toBe(0);
    expect(out).toMatch(/alert protocol version/);
    expect(out).toMatch(/Cipher is \(NONE\)/);
  });

  it('accepts TLS 1.2 with a forward-secret AEAD cipher and TLS 1.3, verified by the generated certificate', () => {
    const allowed = /ssl_ciphers ([^;]+);/.exec(lb.confText)![1]!.split(':');
    const t12 = sClient(['-tls1_2']);
    expect(t12.status, t12.stderr).toBe(0);
    const cipher12 = /Cipher is (\S+)/.exec(t12.stdout)?.[1];
    expect(t12.stdout).toMatch(/Protocol\s*: TLSv1\.2/);
    expect(allowed).toContain(cipher12);
    expect(cipher12).toMatch(/^ECDHE-.*(GCM|CHACHA20)/);
    expect(t12.stdout).toMatch(/Verify return code: 0 \(ok\)/);

    const t13 = sClient(['-tls1_3']);
    expect(t13.status, t13.stderr).toBe(0);
    expect(t13.stdout).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
    expect(t13.stdout).toMatch(/Verify return code: 0 \(ok\)/);
  });

  it('refuses every TLS 1.2 cipher that is not ECDHE with AES-GCM or ChaCha20', () => {
    // The client offers everything else it knows (CBC, SHA-1, RSA key exchange, DHE, 3DES...).
    const r = sClient(['-tls1_2', '-cipher', 'ALL:COMPLEMENTOFALL:!ECDHE+AESGCM:!ECDHE+CHACHA20:@SECLEVEL=0']);
    const out = r.stdout + r.stderr;
    expect(r.status).not.toBe(0);
    expect(out).toMatch(/alert handshake failure/);
    expect(out).toMatch(/Cipher is \(NONE\)/);
  });

  it('answers a real client over TCP (curl with the certificate as its only CA)', () => {
    const r = nsRun(lb.ns.nsPid, 'curl', ['-sS', '-i', '--max-time', '5', '--cacert', certFile, `https://localhost:${lb.port}/health`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.stdout).not.toMatch(/^Strict-Transport-Security:/im);
  });

  it('keeps answering over TLS with an instance stopped', async () => {
    await stopBackend(lb, lb.names[0]!);
    const { statuses, byBackend } = await spread(lb, 12);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(Object.keys(byBackend).sort()).toEqual(lb.names.slice(1));
    expect(await websocketRoundTrip(lb)).not.toBe(lb.names[0]);
  });
});
