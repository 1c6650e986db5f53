// Process management for the suites that run real servers (nginx, Prometheus, PostgreSQL, the
// Pub/Sub emulator). Rules kept here so each suite can rely on them:
// - every server starts in the background under coreutils `timeout`, so it stops by itself after
//   its lifetime even if everything else fails; its pid (and its descendants') is recorded;
// - servers are stopped by pid: `stopServer` in afterAll, and a synchronous SIGKILL sweep on
//   process exit for anything still running (a failed or interrupted suite);
// - every wait and every request loop is bounded in count and time;
// - servers bind to 127.0.0.1 or live in a private network namespace (`unshare --net`).
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

// ---------------------------------------------------------------------------------------------
// Tools

/** The path of a command on PATH, or a failure that says what is missing (never a silent skip). */
export function requireTool(name: string, hint = 'install it (scripts/ensure-validators.mjs does)'): string {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
  const found = r.stdout.trim();
  if (r.status !== 0 || !found) throw new Error(`required tool "${name}" is not on PATH: ${hint}`);
  return found;
}

/** Fails with a message when a file the suite needs is missing. */
export function requireFile(file: string, hint: string): string {
  if (!existsSync(file)) throw new Error(`required file ${file} is missing: ${hint}`);
  return file;
}

/** Runs a command to completion (bounded), capturing its output as text. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    input: opts.input,
    encoding: 'utf8',
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return r;
}

/** Like `run`, and fails with the command's output unless it exits 0. */
export function mustRun(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Runs a command and resolves with its exit code and output (bounded); for many at once. */
export function runAsync(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string; input?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d) => (stdout += d));
    c.stderr!.on('data', (d) => (stderr += d));
    if (opts.input !== undefined) c.stdin!.end(opts.input);
    const timer = setTimeout(() => c.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Background servers

export interface Server {
  name: string;
  /** pid of the `timeout` wrapper: the leader of the server's process group. */
  pid: number;
  child: ChildProcess;
  /** Everything the server printed so far (stdout and stderr, capped). */
  output(): string;
  /** Resolves when the wrapper has exited. */
  exited: Promise<void>;
  hasExited(): boolean;
  /** Signal `stopServer` sends first (SIGTERM unless the server wants another, e.g. PostgreSQL's SIGINT). */
  stopSignal: NodeJS.Signals;
}

const running = new Map<number, Server>();
/** Every pid seen below a server: swept on exit even when the wrapper is already gone. */
const descendantsSeen = new Map<number, Set<number>>();
const OUTPUT_CAP = 2_000_000;

/** pid -> parent pid, read from /proc. */
function parentMap(): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      m.set(Number(e), Number(fields[1]));
    } catch {
      // the process ended while we looked
    }
  }
  return m;
}

/** Every living descendant of a pid. */
export function descendants(pid: number): number[] {
  const parents = parentMap();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [child, parent] of parents) {
      if (parent === p && !out.includes(child)) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie answers signal 0; it is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function remember(server: Server): void {
  const seen = descendantsSeen.get(server.pid) ?? new Set<number>();
  for (const d of descendants(server.pid)) seen.add(d);
  descendantsSeen.set(server.pid, seen);
}

/**
 * Starts a server in the background, wrapped in `timeout` so it ends by itself after
 * `lifetimeSeconds` (the wrapper signals the whole process group). stdin stays an open pipe unless
 * `stdin: 'ignore'`: a child that watches it learns of the test process's death.
 */
export function startServer(
  name: string,
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; lifetimeSeconds?: number; stdin?: 'pipe' | 'ignore'; stopSignal?: NodeJS.Signals } = {},
): Server {
  requireTool('timeout');
  const lifetime = opts.lifetimeSeconds ?? 300;
  const child = spawn('timeout', ['--kill-after=5', `${lifetime}s`, cmd, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.stdin ?? 'pipe', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${cmd})`);
  let out = '';
  const collect = (d: Buffer) => {
    if (out.length < OUTPUT_CAP) out += d.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      done = true;
      resolve();
    });
    child.on('error', (e) => {
      out += `\n[spawn error] ${e.message}\n`;
      done = true;
      resolve();
    });
  });
  const server: Server = {
    name,
    pid: child.pid,
    child,
    output: () => out,
    exited,
    hasExited: () => done,
    stopSignal: opts.stopSignal ?? 'SIGTERM',
  };
  running.set(server.pid, server);
  exited.then(() => running.delete(server.pid));
  return server;
}

/**
 * Stops a server by pid: its stop signal to the wrapper (which passes it to the whole group),
 * then SIGKILL to the wrapper and every recorded descendant still alive after `graceMs`.
 */
export async function stopServer(server: Server, graceMs = 8_000): Promise<void> {
  remember(server);
  const seen = descendantsSeen.get(server.pid) ?? new Set<number>();
  if (!server.hasExited()) {
    try {
      process.kill(server.pid, server.stopSignal);
    } catch {
      // already gone
    }
    await Promise.race([server.exited, sleep(graceMs)]);
    if (!server.hasExited()) {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await Promise.race([server.exited, sleep(2_000)]);
    }
  }
  // Anything below it that outlived the group signal (a child that changed its process group).
  const deadline = Date.now() + 3_000;
  for (const pid of seen) {
    while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  descendantsSeen.delete(server.pid);
  running.delete(server.pid);
}

export async function stopAll(servers: (Server | undefined)[]): Promise<void> {
  for (const s of servers) if (s) await stopServer(s);
}

/** Records the server's descendants now (call after it has started them), so they are swept too. */
export function recordDescendants(server: Server): number[] {
  remember(server);
  return [...(descendantsSeen.get(server.pid) ?? [])];
}

// Last resort when a suite dies: kill every recorded pid still running, synchronously.
process.on('exit', () => {
  for (const [pid] of running) {
    const all = [pid, ...(descendantsSeen.get(pid) ?? []), ...descendants(pid)];
    for (const p of all) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Bounded waits

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value other than undefined/false, at most `timeoutMs` and
 * `maxTries` times; fails with `what` and the server's output if the server exits first.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; server?: Server; maxTries?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const interval = opts.intervalMs ?? 100;
  const maxTries = opts.maxTries ?? Math.ceil(timeoutMs / interval) + 1;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let i = 0; i < maxTries && Date.now() < deadline; i++) {
    if (opts.server?.hasExited()) throw new Error(`${opts.server.name} exited while waiting for ${what}:\n${opts.server.output().slice(-4000)}`);
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      lastError = e;
    }
    await sleep(interval);
  }
  const tail = opts.server ? `\n${opts.server.name} output:\n${opts.server.output().slice(-4000)}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}${tail}`);
}

/** One TCP connection attempt, bounded. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export function waitForPort(host: string, port: number, opts: { timeoutMs?: number; server?: Server } = {}): Promise<true> {
  return waitFor(`${host}:${port} to accept connections`, async () => (await canConnect(host, port)) || undefined, { intervalMs: 100, ...opts });
}

/** A port free on 127.0.0.1 right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** fetch with a time bound. */
export async function fetchBounded(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

// ---------------------------------------------------------------------------------------------
// Private network namespaces

/** Quotes a word for sh. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface NamespaceMount {
  /** A folder or file to bind, or 'tmpfs' for an empty private tmpfs. */
  source: string | 'tmpfs';
  target: string;
  readOnly?: boolean;
  /** Create the target folder first (inside an earlier tmpfs mount, never on the real disk). */
  mkdir?: boolean;
}

export interface Namespace {
  server: Server;
  /** pid of the namespace's first process, for nsenter. */
  nsPid: number;
}

/** A hosts file for a private namespace: localhost plus each name on its own loopback address. */
export function hostsFile(entries: Record<string, string>): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost'];
  for (const [name, ip] of Object.entries(entries)) lines.push(`${ip} ${name}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `cmd args` as the first process of a new network and mount namespace
 * (`unshare --net --mount`, private propagation): `lo` is brought up, `hosts` is bind-mounted over
 * /etc/hosts, then `mounts` are made (visible in that namespace only). The namespace's pid is
 * written to a file once the setup is done, so nsenter never sees a half-made namespace.
 */
export async function startInNamespace(
  name: string,
  dir: string,
  spec: {
    hosts: Record<string, string>;
    mounts?: NamespaceMount[];
    cmd: string;
    args: string[];
    env?: NodeJS.ProcessEnv;
    lifetimeSeconds?: number;
    stopSignal?: NodeJS.Signals;
  },
): Promise<Namespace> {
  for (const t of ['unshare', 'nsenter', 'ip', 'mount']) requireTool(t);
  const hostsPath = path.join(dir, `${name}.hosts`);
  const pidPath = path.join(dir, `${name}.nspid`);
  writeFileSync(hostsPath, hostsFile(spec.hosts));
  const lines = ['set -eu', 'ip link set lo up', `mount --bind ${shq(hostsPath)} /etc/hosts`];
  for (const m of spec.mounts ?? []) {
    if (m.mkdir) lines.push(`mkdir -p ${shq(m.target)}`);
    if (m.source === 'tmpfs') lines.push(`mount -t tmpfs tmpfs ${shq(m.target)}`);
    else lines.push(`mount --bind ${shq(m.source)} ${shq(m.target)}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${shq(m.target)}`);
  }
  lines.push(`echo $$ > ${shq(pidPath)}`, 'exec "$@"');
  const server = startServer(name, 'unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', lines.join('\n'), 'sh', spec.cmd, ...spec.args], {
    env: spec.env,
    lifetimeSeconds: spec.lifetimeSeconds,
    stopSignal: spec.stopSignal,
  });
  const nsPid = await waitFor(
    `the ${name} namespace`,
    () => {
      if (!existsSync(pidPath)) return undefined;
      const n = Number(readFileSync(pidPath, 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    },
    { server, timeoutMs: 10_000, intervalMs: 50 },
  );
  return { server, nsPid };
}

/** The argv that runs a command inside a namespace (network and mount). */
export const nsArgv = (nsPid: number, cmd: string, args: string[]) => ['-t', String(nsPid), '-n', '-m', '--', cmd, ...args];

/** Runs a command inside a namespace to completion (bounded). */
export function nsRun(nsPid: number, cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): SpawnSyncReturns<string> {
  return run('nsenter', nsArgv(nsPid, cmd, args), opts);
}

// ---------------------------------------------------------------------------------------------
// Reading the generated files

/** KEY=VALUE lines of an env file (comments and blank lines skipped). */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export type Compose = { services: Record<string, any>; [k: string]: any };

/** docker-compose.yml parsed, with YAML merge keys (`<<:`) resolved as compose does. */
export function readCompose(stackDir: string): Compose {
  return parseYaml(readFileSync(path.join(stackDir, 'docker-compose.yml'), 'utf8'), { merge: true, uniqueKeys: true, maxAliasCount: -1 }) as Compose;
}

/**
 * Compose's interpolation of one string: `$$` is a literal `$`, `${VAR}`, `${VAR:-default}` and
 * `${VAR:?error}` come from `env` (.env). Fails on a required variable that is missing.
 */
export function interpolate(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (all, name?: string, op?: string, arg?: string) => {
    if (all === '$$') return '$';
    const v = env[name!];
    if (op === ':?' || op === '?') {
      if (v === undefined || (op === ':?' && v === '')) throw new Error(`required variable ${name} is not set: ${arg}`);
      return v;
    }
    if (op === ':-' || op === '-') return v === undefined || (op === ':-' && v === '') ? arg! : v;
    return v ?? '';
  });
}
