// The run lock under load: six real CLI processes at a time against one folder, round after round,
// with the machine's cores kept busy. Every run must either finish (0) or say the folder is busy
// (BUSY_EXIT), and what is left must be exactly one run's answers with files that match them.
// LOCK_STRESS_ROUNDS sets the number of rounds (50 by default, as in CI).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY_EXIT } from '../src/errors.js';
import { run } from '../src/library.js';
import { CLI, cleanupTempDirs, tempDir } from './helpers/stack.js';

const ROUNDS = Number(process.env.LOCK_STRESS_ROUNDS ?? 50);
const RUNS = 6;
/** Every few rounds the folder is removed, so that first generations race as well as updates. */
const FRESH_EVERY = 5;

/** The answers one run gives: every run names the same keys, so the result must be one run's set. */
interface Varying {
  instances: number;
  eventBus: 'nats' | 'kafka';
  httpPort: number;
  tls: 'none' | 'selfSigned';
  transformAgents: number;
}

function answersOf(round: number, run: number): Varying {
  const k = round * RUNS + run;
  return {
    instances: 1 + (k % 7),
    eventBus: k % 3 === 0 ? 'kafka' : 'nats',
    httpPort: 3001 + (k % 11),
    tls: k % 2 === 0 ? 'none' : 'selfSigned',
    transformAgents: k % 3,
  };
}

const flagsOf = (a: Varying) => [
  '--instances',
  String(a.instances),
  '--event-bus',
  a.eventBus,
  '--http-port',
  String(a.httpPort),
  '--tls',
  a.tls,
  '--transform-agents',
  String(a.transformAgents),
];
const pick = (stored: { [k: string]: unknown }): Varying => ({
  instances: stored.instances as number,
  eventBus: stored.eventBus as Varying['eventBus'],
  httpPort: stored.httpPort as number,
  tls: stored.tls as Varying['tls'],
  transformAgents: stored.transformAgents as number,
});

function runCli(args: string[]): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

// A bounded load: one busy loop per core, each ending by itself after a while, and stopped by pid.
const load: ChildProcess[] = [];
beforeAll(() => {
  for (let i = 0; i < availableParallelism(); i++)
    load.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 180000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
});
afterAll(() => {
  for (const p of load) if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
  cleanupTempDirs();
});

describe('the run lock under load', () => {
  it(`${RUNS} parallel runs x ${ROUNDS} rounds: exit 0 or busy, one run's answers, files that match`, { timeout: 600_000 }, async () => {
    const parent = tempDir('bpd-lock-');
    const dest = path.join(parent, 'stack');
    const codes = new Map<number | null, number>();
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      if (round % FRESH_EVERY === 0) rmSync(dest, { recursive: true, force: true });
      const given = Array.from({ length: RUNS }, (_, i) => answersOf(round, i));
      const results = await Promise.all(given.map((a) => runCli([dest, '--defaults', ...flagsOf(a)])));
      for (const r of results) {
        codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        expect([0, BUSY_EXIT], `round ${round}: ${r.out}`).toContain(r.code);
        expect(r.out, `round ${round}`).not.toMatch(/unexpected error|^\s+at /m);
        if (r.code === BUSY_EXIT)
          expect(r.out).toMatch(/^bindplane-distributed: another bindplane-distributed run \(pid \d+\) is working on .*; run again when it has finished/m);
      }
      const winners = given.filter((_, i) => results[i]!.code === 0);
      expect(winners.length, `round ${round}`).toBeGreaterThan(0);
      const yo = pick(JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed']);
      const record = pick(JSON.parse(readFileSync(path.join(dest, '.bindplane-distributed/record.json'), 'utf8')).answers);
      expect(record, `round ${round}`).toEqual(yo);
      expect(winners, `round ${round}`).toContainEqual(yo);
      // --check through the library, in this process: the runs under test are the CLI's.
      const check = await run({ dest, mode: 'check' });
      expect(
        check.changes.filter((c) => c.drift).map((c) => c.path),
        `round ${round}`,
      ).toEqual([]);
      expect(check.exitCode).toBe(0);
      // No lock, staging or journal is left behind, in the folder or beside it.
      expect(readdirSync(parent), `round ${round}`).toEqual(['stack']);
      expect(readdirSync(path.join(dest, '.bindplane-distributed')).sort(), `round ${round}`).toEqual(['base.txt', 'record.json']);
    }
    // Reported so that a slow machine shows in the log: 6 x 50 took 88 to 116 s on 2 cores that
    // other work already kept busy (load average 5 to 8 before the test).
    console.log(`lock stress: ${RUNS} x ${ROUNDS} runs in ${((Date.now() - started) / 1000).toFixed(1)} s, exits ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(existsSync(dest)).toBe(true);
  });
});
