// The engine tier's tools: generated stacks on the private engine, their Makefile, and clients that
// go through the load balancer. Every command and every loop is bounded in count and time.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import WebSocket from 'ws';
import type { Answers } from '../../src/answers/schema.js';
import { generate } from '../../src/library.js';
import { CLI } from '../helpers/stack.js';
import { runAsync } from '../servers/helpers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by global-setup.ts: the private engine's socket and Compose plugin. */
    engineEnv: { DOCKER_HOST: string; DOCKER_CONFIG: string };
  }
}

export const LICENSE = 'engine-tier-test-license';

/** The environment of every command that talks to the private engine (never another one). */
export function engineEnv(): NodeJS.ProcessEnv {
  const e = inject('engineEnv');
  if (!e?.DOCKER_HOST?.startsWith('unix:///tmp/')) throw new Error(`the engine tier has no private engine (DOCKER_HOST=${e?.DOCKER_HOST})`);
  return { ...process.env, ...e, NO_COLOR: '1', COMPOSE_ANSI: 'never', COMPOSE_PROGRESS: 'plain' };
}

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end (killed after timeoutMs), with the engine's environment. */
export async function exec(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Exec> {
  const started = Date.now();
  const r = await runAsync(cmd, args, { ...opts, env: opts.env ?? engineEnv(), timeoutMs: opts.timeoutMs ?? 120_000 });
  return { ...r, ms: Date.now() - started };
}

export async function mustExec(cmd: string, args: string[], opts: Parameters<typeof exec>[2] = {}): Promise<Exec> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

export interface PsEntry {
  Service: string;
  Name: string;
  State: string;
  Health: string;
  ID: string;
}

const made: Stack[] = [];

/** A generated stack in its own temporary folder, with a license in its `.env`. */
export class Stack {
  readonly dir: string;
  constructor(
    readonly project: string,
    readonly answers: Partial<Answers>,
  ) {
    this.dir = path.join(mkdtempSync(path.join(tmpdir(), `bpd-engine-${project}-`)), project);
  }

  get port(): number {
    return this.answers.httpPort ?? 3001;
  }

  get tls(): boolean {
    return (this.answers.tls ?? 'none') !== 'none';
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  static async create(project: string, answers: Partial<Answers>): Promise<Stack> {
    const s = new Stack(project, { projectName: project, ...answers });
    const r = await generate(s.dir, s.answers);
    if (r.exitCode !== 0) throw new Error(`generating ${project} exited ${r.exitCode}`);
    appendFileSync(path.join(s.dir, '.env'), `BINDPLANE_LICENSE=${LICENSE}\n`);
    made.push(s);
    return s;
  }

  /** A stack written by another build of the generator (an older commit's CLI), with a license in its `.env`. */
  static async createWithCli(cli: string, project: string, flags: string[], answers: Partial<Answers> = {}): Promise<Stack> {
    const s = new Stack(project, { projectName: project, ...answers });
    await mustExec(process.execPath, [cli, s.dir, '--defaults', '--project-name', project, ...flags], { timeoutMs: 60_000 });
    appendFileSync(path.join(s.dir, '.env'), `BINDPLANE_LICENSE=${LICENSE}\n`);
    made.push(s);
    return s;
  }

  /** Regenerates with the real CLI, as a person would. */
  regenerate(...flags: string[]): Promise<Exec> {
    return mustExec(process.execPath, [CLI, this.dir, ...flags], { timeoutMs: 60_000 });
  }

  make(target: string, args: string[] = [], opts: { timeoutMs?: number; input?: string } = {}): Promise<Exec> {
    return exec('make', ['--no-print-directory', target, ...args], { cwd: this.dir, timeoutMs: opts.timeoutMs ?? 240_000, input: opts.input });
  }

  async mustMake(target: string, args: string[] = [], opts: { timeoutMs?: number } = {}): Promise<Exec> {
    const r = await this.make(target, args, opts);
    if (r.code !== 0) {
      const ps = await this.compose(['ps', '-a']).catch(() => undefined);
      const logs = await this.compose(['logs', '--no-color', '--tail=30']).catch(() => undefined);
      throw new Error(
        `make ${target} in ${this.project} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}\n--- ps\n${ps?.stdout}\n--- logs\n${logs?.stdout.slice(-8000)}`,
      );
    }
    return r;
  }

  compose(args: string[], opts: { timeoutMs?: number } = {}): Promise<Exec> {
    return exec('docker', ['compose', ...args], { cwd: this.dir, timeoutMs: opts.timeoutMs ?? 120_000 });
  }

  /** Every container of the project, running or not. */
  async ps(): Promise<PsEntry[]> {
    const r = await mustExec('docker', ['compose', 'ps', '-a', '--format', 'json'], { cwd: this.dir });
    const text = r.stdout.trim();
    if (!text) return [];
    // Compose prints one JSON object a line (older releases: one array).
    return text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((l) => JSON.parse(l));
  }

  /** Container id (short, as the stand-in reports its hostname) -> service. */
  async instancesById(): Promise<Map<string, string>> {
    return new Map((await this.ps()).map((p) => [p.ID.slice(0, 12), p.Service]));
  }

  /** What the engine still holds of this project: containers, networks, volumes. */
  async leftovers(): Promise<string[]> {
    const filter = ['--filter', `label=com.docker.compose.project=${this.project}`];
    const out: string[] = [];
    for (const kind of ['container', 'network', 'volume']) {
      const args = kind === 'container' ? ['ps', '-a', '-q', ...filter] : [kind, 'ls', '-q', ...filter];
      const r = await mustExec('docker', args);
      out.push(
        ...r.stdout
          .split('\n')
          .filter(Boolean)
          .map((id) => `${kind} ${id}`),
      );
    }
    return out;
  }

  /** Takes the stack down whatever state it is in, and removes its folder. */
  async destroy(): Promise<void> {
    await this.compose(['down', '--volumes', '--remove-orphans', '--timeout', '5']).catch(() => undefined);
    rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}

/** One row of the server's agent list, as `make status` prints it (the CLI's table, cells split by tabs). */
export interface ServerAgent {
  name: string;
  status: string;
  configuration: string;
  id: string;
}

/** The agents the server lists in `make status` (none when it cannot list them). */
export async function serverAgents(stack: Stack): Promise<ServerAgent[]> {
  const r = await stack.make('status');
  const at = r.stdout.indexOf('Agents the server knows:\n');
  if (at < 0) return [];
  const lines = r.stdout
    .slice(at)
    .split('\n')
    .slice(1)
    .filter((l) => l.includes('\t'));
  if (lines.length < 1) return [];
  const header = lines[0]!.split('\t').map((h) => h.trim());
  const cell = (row: string[], name: string) => (row[header.indexOf(name)] ?? '').trim();
  return lines.slice(1).map((l) => {
    const row = l.split('\t');
    return { name: cell(row, 'NAME'), status: cell(row, 'STATUS'), configuration: cell(row, 'CONFIGURATION'), id: cell(row, 'ID') };
  });
}

/** Waits until the server lists exactly these agents as connected; returns the list. */
export function untilConnected(stack: Stack, names: string[], timeoutMs = 90_000): Promise<ServerAgent[]> {
  return until(
    `the server to list ${names.join(', ')} as connected`,
    async () => {
      const agents = await serverAgents(stack);
      const connected = agents.filter((a) => a.status === 'Connected').map((a) => a.name);
      return names.every((n) => connected.includes(n)) ? agents : undefined;
    },
    timeoutMs,
    2_000,
  );
}

/** A value of the stack's .env. */
export function envValue(stack: Stack, key: string): string | undefined {
  return new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(path.join(stack.dir, '.env'), 'utf8'))?.[1];
}

/** Every file of the stack folder with its bytes' hash and its mtime: what "changes no file" compares. */
export function fileStates(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) {
        const f = path.join(dir, r);
        out.set(r, `${createHash('sha256').update(readFileSync(f)).digest('hex')} ${statSync(f).mtimeMs}`);
      }
    }
  };
  walk('');
  return out;
}

export async function destroyAll(): Promise<void> {
  await Promise.all(made.splice(0).map((s) => s.destroy()));
}

export interface Reply {
  status: number;
  instance?: string;
  version?: string;
  ms: number;
  error?: string;
}

/** One GET through the load balancer on a new connection (so every request is balanced anew). */
export function get(url: string, timeoutMs = 5_000): Promise<Reply> {
  const started = Date.now();
  const mod = url.startsWith('https') ? https : http;
  return new Promise((resolve) => {
    const req = mod.get(url, { agent: false, rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          instance: res.headers['x-bindplane-instance'] as string | undefined,
          version: res.headers['x-bindplane-version'] as string | undefined,
          ms: Date.now() - started,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: 0, ms: Date.now() - started, error: e.message }));
  });
}

export interface LoopResult {
  total: number;
  failed: Reply[];
  slowest: number;
  byInstance: Map<string, number>;
  versions: Set<string>;
}

/**
 * Requests through the load balancer from `workers` parallel clients, one after another with a
 * short pause, until stop() is called, maxRequests are done or maxMs has passed.
 */
export function clientLoop(
  url: string,
  opts: { workers?: number; pauseMs?: number; maxRequests?: number; maxMs?: number } = {},
): { stop: () => Promise<LoopResult> } {
  const { workers = 2, pauseMs = 20, maxRequests = 20_000, maxMs = 240_000 } = opts;
  const result: LoopResult = { total: 0, failed: [], slowest: 0, byInstance: new Map(), versions: new Set() };
  const deadline = Date.now() + maxMs;
  let stopped = false;
  const worker = async () => {
    while (!stopped && result.total < maxRequests && Date.now() < deadline) {
      const r = await get(url);
      result.total++;
      result.slowest = Math.max(result.slowest, r.ms);
      if (r.status !== 200) result.failed.push(r);
      if (r.instance) result.byInstance.set(r.instance, (result.byInstance.get(r.instance) ?? 0) + 1);
      if (r.version) result.versions.add(r.version);
      await new Promise((res) => setTimeout(res, pauseMs));
    }
  };
  const running = Promise.all(Array.from({ length: workers }, worker));
  return {
    stop: async () => {
      stopped = true;
      await running;
      return result;
    },
  };
}

/** Opens a websocket through the load balancer and returns the first message the instance sends. */
// 30 s: eight stacks start side by side on two cores, and the first handshake reads PostgreSQL.
export function wsHello(url: string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ instance: string; path: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, rejectUnauthorized: false, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no message on ${url} in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('message', (data) => {
      clearTimeout(timer);
      ws.close();
      resolve(JSON.parse(String(data)));
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`${url}: HTTP ${res.statusCode} instead of a websocket`));
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until check() returns a value (bounded). */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
