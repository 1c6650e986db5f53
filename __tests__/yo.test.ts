// The real `yo bindplane-distributed`, with the package where yo looks (a project's node_modules),
// laid out as npm installs it (package.json and its "files"), at a pseudo-terminal too.
// yo refuses to run as root (it switches to uid 1000 and fails), so it runs as an ordinary user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADVANCED_QUESTION, CONFIRM_QUESTION } from '../src/answers/flow.js';
import { KEY, Terminal } from './helpers/pty.js';
import { ROOT, snapshot } from './helpers/stack.js';
import { ordinaryUser } from './helpers/user.js';

let work = '';
/** A copy of the package the ordinary user can read (the checkout may sit in a folder only root enters). */
let pkg = '';
let user = '';
let uid = 0;
let gid = 0;

const yoCommand = () => ['runuser', '-u', user, '--', 'env', `HOME=${path.join(work, 'home')}`, path.join(pkg, 'node_modules/.bin/yo')];

function yo(...args: string[]) {
  return yoAny('bindplane-distributed', ...args);
}

function yoAny(...args: string[]) {
  return yoWith({}, ...args);
}

/** yo with these variables in its environment besides HOME. */
function yoWith(vars: Record<string, string>, ...args: string[]) {
  const [cmd, ...pre] = yoCommand();
  const bin = pre.pop()!;
  return spawnSync(cmd!, [...pre, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), bin, ...args], {
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
  // What npm installs of the package: package.json and its "files"; node_modules for yo itself.
  const files: string[] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).files;
  // Globs of "files" (dist/src/**/*.d.ts) are left out: the generator does not load them.
  for (const part of ['package.json', ...files.filter((f) => !f.includes('*')), 'node_modules']) {
    // Hard links are instant; another file system gets a real copy. --parents keeps a file's folders.
    const linked = spawnSync('cp', ['-al', '--parents', part, pkg], { cwd: ROOT });
    if (linked.status !== 0) execFileSync('cp', ['-a', '--parents', part, pkg], { cwd: ROOT });
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

  it('warns, as the CLI does, when a Compose project of that name already runs from another folder', () => {
    // A stand-in docker that answers `compose ls` as Docker does.
    const bin = path.join(work, 'docker-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      path.join(bin, 'docker'),
      `#!/bin/sh\n[ "$1 $2" = "compose ls" ] && echo '[{"Name":"shop","Status":"running(9)","ConfigFiles":"/srv/shop/docker-compose.yml"}]'\n`,
      { mode: 0o755 },
    );
    const vars = { PATH: `${bin}:${process.env.PATH}`, DOCKER_HOST: 'unix:///nowhere.sock' };
    const clash = yoWith(vars, 'bindplane-distributed', 'shop', '--defaults');
    expect(clash.status, clash.stderr).toBe(0);
    expect(clash.stdout).toContain('warning: a Compose project named shop already exists (running(9), from /srv/shop)');
    expect(clash.stdout).toContain('--project-name NAME');
    expect(yoWith(vars, 'bindplane-distributed', 'not-shop', '--defaults').stdout).not.toContain('already exists');
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

  it('--dry-run prints its plan on stdout (a new stack: each file with its size), so `> plan.txt` keeps it; Yeoman says nothing of package.json', () => {
    const r = yo('planned', '--defaults', '--dry-run');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/create\s+docker-compose.yml {2}\(\d+(\.\d)? (bytes|kB)\)/);
    expect(r.stdout).not.toContain('+++ b/docker-compose.yml');
    expect(r.stdout).toContain('dry run: nothing was written');
    expect(r.stdout + r.stderr).not.toContain('package.json');
    expect(existsSync(path.join(work, 'planned'))).toBe(false);
  }, 60_000);

  it('a linked checkout offers yo no other generator: no top-level folder holds an index.js or index.ts', () => {
    // yeoman-environment's lookup takes ./*/index.{js,ts} (and generators/*/index) for generators.
    const offered = readdirSync(ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !['node_modules', 'generators', '.git'].includes(d.name))
      .filter((d) => ['index.js', 'index.ts'].some((f) => existsSync(path.join(ROOT, d.name, f))))
      .map((d) => d.name);
    expect(offered).toEqual([]);
  });

  it('yo --generators lists the generator and no sub-generator (none named src)', () => {
    const r = yoAny('--generators');
    expect(r.status, r.stderr).toBe(0);
    const listing = r.stdout.slice(r.stdout.indexOf('bindplane-distributed'));
    expect(
      listing
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ).toEqual(['bindplane-distributed']);
  }, 60_000);
});

describe('yo bindplane-distributed at a terminal', () => {
  const atTerminal = (args: string) => new Terminal(`${yoCommand().join(' ')} bindplane-distributed --no-insight ${args}`, { cwd: work });

  it('asks instances, event bus and TLS, then the advanced gate and the summary, and writes after yes', async () => {
    const t = atTerminal('tty-stack');
    await t.waitFor('Bindplane instances behind the load balancer');
    await t.type(`${'\x7f'.repeat(3)}2${KEY.enter}`);
    await t.waitFor('Event bus');
    await t.type(KEY.enter);
    await t.waitFor('TLS on the load balancer');
    await t.type(KEY.enter);
    await t.waitFor(ADVANCED_QUESTION);
    await t.type(KEY.enter);
    await t.waitFor(CONFIRM_QUESTION);
    await t.type(KEY.enter);
    expect(await t.exit(60_000), t.screen).toBe(0);
    expect(t.screen).not.toContain('Compose project name:');
    expect(t.screen).not.toContain('package.json');
    const stored = JSON.parse(readFileSync(path.join(work, 'tty-stack/.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];
    expect(stored).toMatchObject({ instances: 2, eventBus: 'nats', tls: 'none' });
  }, 90_000);

  it('--ask-answered asks the questions again, with the stored answers as defaults', async () => {
    const made = yo('asked-again', '--defaults', '--instances', '4', '--event-bus', 'kafka');
    expect(made.status, made.stderr).toBe(0);
    const t = atTerminal('asked-again --ask-answered');
    await t.waitFor('Bindplane instances behind the load balancer: a whole number from 1 to 64 (4)');
    await t.type(KEY.enter);
    await t.waitFor(/❯ Kafka in KRaft mode/);
    await t.type(KEY.enter);
    await t.waitFor('TLS on the load balancer');
    await t.type(KEY.enter);
    await t.waitFor(ADVANCED_QUESTION);
    await t.type(KEY.enter);
    await t.waitFor(CONFIRM_QUESTION);
    await t.type(KEY.enter);
    expect(await t.exit(60_000), t.screen).toBe(0);
    expect(t.screen).toContain('nothing to change');
  }, 90_000);

  it('Ctrl-C prints "Cancelled", exits 130 and leaves no folder', async () => {
    const t = atTerminal('cancelled-stack');
    await t.waitFor('Bindplane instances behind the load balancer');
    await t.type(KEY.ctrlC);
    expect(await t.exit(60_000), t.screen).toBe(130);
    expect(t.screen).toContain('Cancelled');
    expect(existsSync(path.join(work, 'cancelled-stack'))).toBe(false);
  }, 90_000);

  it('refuses a swapped certificate at its own prompt', async () => {
    writeFileSync(path.join(work, 'key.pem'), execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']));
    const t = atTerminal('tls-stack --instances 1 --event-bus nats --tls provided');
    await t.waitFor('PEM certificate chain');
    await t.type(`key.pem${KEY.enter}`);
    await t.waitFor('is a private key, not a certificate');
    await t.type(KEY.ctrlC);
    expect(await t.exit(60_000), t.screen).toBe(130);
  }, 90_000);
});
