// The real `yo bindplane-distributed`, with the package where yo looks (a project's node_modules).
// yo refuses to run as root (it switches to uid 1000 and fails), so it runs as an ordinary user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, snapshot } from './helpers/stack.js';

let work = '';
/** A copy of the package the ordinary user can read (the checkout may sit in a folder only root enters). */
let pkg = '';
let user = '';
let uid = 0;
let gid = 0;

function ordinaryUser(): { name: string; uid: number; gid: number } {
  const line = execFileSync('getent', ['passwd'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => Number(f[2]) >= 1000 && Number(f[2]) < 65534);
  if (line) return { name: line[0]!, uid: Number(line[2]), gid: Number(line[3]) };
  execFileSync('useradd', ['--create-home', 'bpdtest']);
  return ordinaryUser();
}

function yo(...args: string[]) {
  return spawnSync('runuser', ['-u', user, '--', 'env', `HOME=${path.join(work, 'home')}`, path.join(pkg, 'node_modules/.bin/yo'), 'bindplane-distributed', ...args], {
    cwd: work,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

beforeAll(() => {
  ({ name: user, uid, gid } = ordinaryUser());
  work = mkdtempSync(path.join(tmpdir(), 'bpd-yo-'));
  mkdirSync(path.join(work, 'node_modules'));
  mkdirSync(path.join(work, 'home'));
  pkg = path.join(work, 'pkg');
  mkdirSync(pkg);
  for (const part of ['package.json', 'dist', 'generators', 'node_modules']) {
    // Hard links are instant; another file system gets a real copy.
    const linked = spawnSync('cp', ['-al', path.join(ROOT, part), pkg]);
    if (linked.status !== 0) execFileSync('cp', ['-a', path.join(ROOT, part), pkg]);
  }
  symlinkSync(pkg, path.join(work, 'node_modules/generator-bindplane-distributed'));
  for (const p of [work, path.join(work, 'home'), path.join(work, 'node_modules')]) chownSync(p, uid, gid);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('yo bindplane-distributed', () => {
  it('generates with every answer given, then a second run changes nothing, .yo-rc.json included', () => {
    const first = yo('stack', '--defaults', '--instances', '2', '--event-bus', 'nats');
    expect(first.status, first.stderr).toBe(0);
    // Yeoman's log goes to stderr.
    expect(first.stdout + first.stderr).toMatch(/create\s+docker-compose.yml/);
    const dir = path.join(work, 'stack');
    const before = snapshot(dir);
    expect(before.has('.yo-rc.json')).toBe(true);
    const second = yo('stack', '--defaults');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout + second.stderr).toContain('nothing to change');
    expect([...snapshot(dir).entries()]).toEqual([...before.entries()]);
  }, 60_000);

  it('refuses a misspelt flag that yo itself would ignore, and writes nothing', () => {
    const r = yo('other', '--defaults', '--instancs', '3');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--instancs is not a known option; did you mean --instances?');
    expect(snapshot(work).has('other/')).toBe(false);
  }, 60_000);

  it('refuses a wrong answer with exit code 2', () => {
    const r = yo('third', '--defaults', '--event-bus', 'rabbitmq');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--event-bus: "rabbitmq" is not allowed; use one of kafka, pubsub, nats');
  }, 60_000);
});
