// Day-2 safety that needs no engine: the warnings for changes regeneration alone cannot make safe,
// and --rotate-secret's rules (the engine tier proves rotation against a running database).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, cli, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

function stack(...flags: string[]): string {
  const dest = path.join(tempDir(), 'stack');
  const r = cli([dest, '--defaults', ...flags]);
  if (r.status !== 0) throw new Error(r.stderr);
  return dest;
}
const env = (dest: string) => readFileSync(path.join(dest, '.env'), 'utf8');

describe('warnings before a change that leaves a running stack in a bad state', () => {
  it('a new projectName: a second, empty stack; says how to stop the old one (dry run and apply)', () => {
    const dest = stack('--project-name', 'first');
    for (const extra of [['--dry-run'], []]) {
      const r = cli([dest, '--project-name', 'second', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^warning: --project-name goes from first to second: make start will start a second, empty stack/m);
      expect(r.stdout).toContain('docker compose -p first down');
    }
    expect(cli([dest]).stdout).not.toMatch(/warning: --project-name/);
  });

  it('a secret missing from .env: made anew, with what that means for the database', () => {
    const dest = stack();
    writeFileSync(path.join(dest, '.env'), env(dest).replace(/^POSTGRES_PASSWORD=.*\n/m, ''));
    const dry = cli([dest, '--dry-run']);
    expect(dry.stdout).toMatch(
      /^warning: POSTGRES_PASSWORD was missing from \.env and is made anew: .*still has the old password.*--rotate-secret POSTGRES_PASSWORD/m,
    );
    const r = cli([dest]);
    expect(r.stdout).toMatch(/^warning: POSTGRES_PASSWORD was missing/m);
    expect(env(dest)).toMatch(/^POSTGRES_PASSWORD=[A-Za-z0-9]{32}$/m);
    // A first generation has no old database: no warning.
    expect(cli([path.join(tempDir(), 'new'), '--defaults']).stdout).not.toMatch(/warning/);
  });
});

describe('--rotate-secret', () => {
  it('replaces one secret in .env, keeps every other line and the mode, never prints it', () => {
    const dest = stack();
    const before = env(dest);
    const old = /^BINDPLANE_SESSION_SECRET=(.*)$/m.exec(before)![1]!;
    const r = cli([dest, '--rotate-secret', 'BINDPLANE_SESSION_SECRET']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^rotated BINDPLANE_SESSION_SECRET in \.env .*make restart/m);
    const after = env(dest);
    const fresh = /^BINDPLANE_SESSION_SECRET=(.*)$/m.exec(after)![1]!;
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.stdout + r.stderr).not.toContain(fresh);
    expect(after.replace(fresh, old)).toBe(before);
    expect(statSync(path.join(dest, '.env')).mode & 0o777).toBe(0o600);
  });

  it('refuses a name it cannot rotate, other flags beside it, and a stopped database, changing nothing', () => {
    const dest = stack('--event-bus', 'kafka');
    const before = env(dest);
    const unknown = cli([dest, '--rotate-secret', 'KAFKA_CLUSTER_ID']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /--rotate-secret: "KAFKA_CLUSTER_ID" is not a secret this stack can rotate; use one of BINDPLANE_SESSION_SECRET, POSTGRES_PASSWORD/,
    );
    const mixed = cli([dest, '--rotate-secret', 'POSTGRES_PASSWORD', '--instances', '4']);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/--rotate-secret goes alone/);
    // No running PostgreSQL (a compose that finds nothing): the database password cannot change, so nothing does.
    const stopped = cli([dest, '--rotate-secret', 'POSTGRES_PASSWORD'], { env: { COMPOSE: 'true' } });
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toMatch(/start the stack first \(make start\), then rotate it; nothing was changed/);
    expect(env(dest)).toBe(before);
    // The admin password is not rotated here: Bindplane's handling of a changed variable is not verified.
    expect(cli([dest, '--rotate-secret', 'BINDPLANE_PASSWORD']).status).toBe(2);
    const nowhere = cli([path.join(tempDir(), 'empty'), '--rotate-secret', 'POSTGRES_PASSWORD']);
    expect(nowhere.status).toBe(2);
    expect(nowhere.stderr).toMatch(/holds no stack/);
  });
});
