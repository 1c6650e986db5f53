// All or nothing: kill the CLI with SIGKILL at every step of an update, then run any command
// (--check here) and find the folder wholly before or wholly after the update.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanupTempDirs, cli, snapshot, tempDir, type FileState } from './helpers/stack.js';

afterAll(cleanupTempDirs);

// The project is named, so that a first generation in another folder writes the same files.
const UPDATE = ['--defaults', '--project-name', 'bindplane', '--event-bus', 'kafka', '--kafka-brokers', '3', '--instances', '5', '--tls', 'none'];

/** Folder contents without modification times; .env as its keys and the values it had before. */
function state(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of snapshot(dir)) {
    if (k === '.env')
      out.set(
        k,
        v.content
          .split('\n')
          .filter((l) => /^[A-Z_]+=/.test(l))
          .map((l) => (l.startsWith('KAFKA_CLUSTER_ID=') ? 'KAFKA_CLUSTER_ID=<new>' : l))
          .join('\n'),
      );
    else out.set(k, `${(v as FileState).mode.toString(8)} ${v.content}`);
  }
  return out;
}

const same = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

describe('an update killed at any point', () => {
  let before: string;
  let beforeState: Map<string, string>;
  let afterState: Map<string, string>;

  beforeAll(() => {
    before = path.join(tempDir('bpd-atomic-'), 'before');
    expect(cli([before, '--defaults', '--project-name', 'bindplane', '--event-bus', 'nats', '--instances', '3', '--tls', 'selfSigned']).status).toBe(0);
    beforeState = state(before);
    const after = path.join(tempDir('bpd-atomic-'), 'after');
    cpSync(before, after, { recursive: true });
    const r = cli([after, ...UPDATE]);
    expect(r.status, r.stderr).toBe(0);
    afterState = state(after);
    expect(same(beforeState, afterState)).toBe(false);
  });

  it('leaves the folder wholly before or wholly after, at every step', () => {
    const outcomes: string[] = [];
    for (let step = 1; step < 200; step++) {
      const dir = path.join(tempDir('bpd-kill-'), 'stack');
      cpSync(before, dir, { recursive: true });
      const killed = cli([dir, ...UPDATE], { env: { BPD_TEST_CRASH_AT_STEP: String(step) } });
      const check = cli([dir, '--check']);
      const now = state(dir);
      const isBefore = same(now, beforeState);
      const isAfter = same(now, afterState);
      expect(isBefore || isAfter, `step ${step}: neither before nor after`).toBe(true);
      expect(existsSync(path.join(dir, '.bindplane-distributed/txn')), `step ${step}: staging left behind`).toBe(false);
      outcomes.push(isBefore ? 'before' : 'after');
      // After recovery the files match the stored answers, whichever side they are on.
      expect(check.status, check.stdout).toBe(0);
      if (killed.signal === null) {
        // The update ran to the end: every step before this one was a kill.
        expect(killed.status).toBe(0);
        break;
      }
      expect(killed.signal).toBe('SIGKILL');
    }
    // Kills early in the update roll back, kills after the journal roll forward: both happened.
    expect(outcomes).toContain('before');
    expect(outcomes).toContain('after');
    expect(outcomes.length).toBeGreaterThan(20);
  }, 180_000);

  it('a first generation killed at any point leaves no folder, or the whole one', () => {
    // Fresh secrets differ from the other runs': compare .env by its keys.
    const shape = (m: Map<string, string>) =>
      new Map(
        [...m].map(([k, v]) => [
          k,
          k === '.env'
            ? v
                .split('\n')
                .map((l) => l.split('=')[0])
                .join()
            : v,
        ]),
      );
    const whole = shape(afterState);
    let completed = false;
    let outcomes = 0;
    for (let step = 1; step < 100 && !completed; step++) {
      const parent = tempDir('bpd-kill-fresh-');
      const dir = path.join(parent, 'stack');
      const killed = cli([dir, ...UPDATE], { env: { BPD_TEST_CRASH_AT_STEP: String(step) } });
      completed = killed.signal === null;
      if (!completed) expect(killed.signal).toBe('SIGKILL');
      else expect(killed.status).toBe(0);
      const check = cli([dir, '--check']);
      if (existsSync(dir)) {
        expect(same(shape(state(dir)), whole), `step ${step}: the whole folder`).toBe(true);
        expect(check.status, check.stdout).toBe(0);
      } else {
        expect(completed, `step ${step}: a finished run left no folder`).toBe(false);
        // No folder, no stack: --check says so as bad input.
        expect(check.status).toBe(2);
        outcomes++;
      }
      // The next run threw the staging away; nothing is left beside the folder.
      expect(
        readdirSync(parent).filter((n) => n !== 'stack'),
        `step ${step}`,
      ).toEqual([]);
    }
    expect(completed).toBe(true);
    expect(outcomes).toBeGreaterThan(10);
  }, 120_000);

  it('survives kills at random moments across the whole run, not only at the numbered steps', async () => {
    const runOnce = (dir: string, killAfterMs?: number) =>
      new Promise<{ ms: number; killed: boolean }>((resolve) => {
        const start = performance.now();
        const child = spawn(process.execPath, [CLI, dir, ...UPDATE], { stdio: 'ignore' });
        const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        child.on('exit', (_code, signal) => {
          clearTimeout(timer);
          resolve({ ms: performance.now() - start, killed: signal === 'SIGKILL' });
        });
      });
    // How long a whole update takes here, so the kills spread over all of it.
    const probe = path.join(tempDir('bpd-kill-'), 'stack');
    cpSync(before, probe, { recursive: true });
    const { ms } = await runOnce(probe);
    let killed = 0;
    for (let i = 0; i < 12; i++) {
      const dir = path.join(tempDir('bpd-kill-'), 'stack');
      cpSync(before, dir, { recursive: true });
      const r = await runOnce(dir, Math.round((ms * (i + 0.5)) / 12));
      if (r.killed) killed++;
      cli([dir, '--check']);
      const now = state(dir);
      // On failure, name the files that are neither as before nor as after.
      const odd = [...new Set([...now.keys(), ...beforeState.keys(), ...afterState.keys()])].filter(
        (k) => now.get(k) !== beforeState.get(k) && now.get(k) !== afterState.get(k),
      );
      expect(same(now, beforeState) || same(now, afterState), `kill ${i} at ${Math.round((ms * (i + 0.5)) / 12)} ms: ${odd.join(', ')}`).toBe(true);
    }
    expect(killed).toBeGreaterThan(3);
  }, 120_000);
});
