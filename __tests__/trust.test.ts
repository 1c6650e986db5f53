// What the stack folder holds is data, never orders (issue 20): a crafted record, journal, link or
// stored answer cannot make the generator delete, read or write outside what it owns. Each case
// reproduces a finding of the security review through the real CLI, and checks that nothing moved.
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pendingQuestions } from '../src/answers/questions.js';
import { cleanupTempDirs, CLI, cli, generateStack, ROOT, SERVICE_ACCOUNT_JSON, snapshot, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const RECORD = '.bindplane-distributed/record.json';

function editRecord(dest: string, edit: (rec: { files: Record<string, unknown>; copies: Record<string, unknown> }) => void): void {
  const file = path.join(dest, RECORD);
  const rec = JSON.parse(readFileSync(file, 'utf8'));
  edit(rec);
  writeFileSync(file, JSON.stringify(rec, null, 2));
}

/** A stack with a git folder and a file of the person's: what a crafted record aimed at. */
async function stackWithGit(): Promise<{ work: string; dest: string }> {
  const work = tempDir('bpd-trust-');
  const dest = await generateStack({}, path.join(work, 'stack'));
  mkdirSync(path.join(dest, '.git'));
  writeFileSync(path.join(dest, '.git/HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(path.join(dest, 'notes.txt'), 'mine\n');
  return { work, dest };
}

function expectRefusedUnchanged(work: string, args: string[], message: RegExp): void {
  const before = snapshot(work);
  const r = cli(args, { cwd: work });
  expect(r.stderr).toMatch(message);
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect([...snapshot(work).entries()]).toEqual([...before.entries()]);
}

describe('row 1: the record is a claim, not an order', () => {
  const entries: [string, (dest: string) => void, RegExp][] = [
    [
      '"files" naming .git/HEAD with its hash',
      (d) => editRecord(d, (r) => (r.files['.git/HEAD'] = { sha256: sha(readFileSync(path.join(d, '.git/HEAD'))), mode: '644' })),
      /the entry ".git\/HEAD" in "files" is not a file this generator writes/,
    ],
    [
      '"files" naming a file of the person\'s',
      (d) => editRecord(d, (r) => (r.files['notes.txt'] = { sha256: sha('mine\n'), mode: '644' })),
      /the entry "notes.txt" in "files" is not a file this generator writes/,
    ],
    [
      '"files" naming .env',
      (d) => editRecord(d, (r) => (r.files['.env'] = { sha256: sha(readFileSync(path.join(d, '.env'))), mode: '600' })),
      /the entry ".env" in "files" is not a file this generator writes/,
    ],
    [
      '"copies" naming .env with a source that exists anywhere',
      (d) => editRecord(d, (r) => (r.copies['.env'] = { source: '/etc/hostname' })),
      /the entry ".env" in "copies" is not one of the generator's copies/,
    ],
    [
      '"copies" naming .git/config',
      (d) => {
        writeFileSync(path.join(d, '.git/config'), '[core]\n');
        editRecord(d, (r) => (r.copies['.git/config'] = { source: '/etc/hostname' }));
      },
      /the entry ".git\/config" in "copies" is not one of the generator's copies/,
    ],
  ];
  for (const [name, craft, message] of entries)
    it(`a record with ${name} deletes nothing and exits 2 naming the entry`, async () => {
      const { work, dest } = await stackWithGit();
      craft(dest);
      expectRefusedUnchanged(work, [dest, '--defaults'], message);
      expectRefusedUnchanged(work, [dest, '--check'], message);
    });

  it("a journal that would delete a file of the person's is refused before anything is applied", async () => {
    const { work, dest } = await stackWithGit();
    mkdirSync(path.join(dest, '.bindplane-distributed/txn'), { recursive: true });
    writeFileSync(path.join(dest, '.bindplane-distributed/txn/journal.json'), JSON.stringify({ format: 1, ops: [{ op: 'delete', path: '.git/HEAD' }] }));
    expectRefusedUnchanged(work, [dest, '--defaults'], /the journal in .bindplane-distributed\/txn names ".git\/HEAD", not a file the generator writes/);
  });

  it('an honest record still deletes what is no longer generated (the guard is not in the way)', async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({ tls: 'selfSigned' }, path.join(work, 'stack'));
    expect(existsSync(path.join(dest, 'scripts/tls-self-signed.sh'))).toBe(true);
    const r = cli([dest, '--defaults', '--tls', 'none', '--remote-url', 'http://localhost:3001'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(dest, 'scripts/tls-self-signed.sh'))).toBe(false);
  });
});

describe("row 2: no link is followed in the stack's own state", () => {
  it('a linked .bindplane-distributed: exit 2, and the folder it points to is untouched (its txn/ survives)', async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({}, path.join(work, 'stack'));
    const target = path.join(work, 'target');
    mkdirSync(path.join(target, 'txn'), { recursive: true });
    writeFileSync(path.join(target, 'txn/precious'), 'keep me\n');
    renameSync(path.join(dest, '.bindplane-distributed'), path.join(work, 'real-state'));
    symlinkSync(target, path.join(dest, '.bindplane-distributed'));
    for (const args of [['--defaults'], ['--check'], ['--dry-run', '--defaults'], ['--rotate-secret', 'BINDPLANE_SESSION_SECRET']])
      expectRefusedUnchanged(work, [dest, ...args], /\.bindplane-distributed is a symbolic link/);
    expect(readFileSync(path.join(target, 'txn/precious'), 'utf8')).toBe('keep me\n');
  });

  it("a linked txn/ holding a journal: exit 2, the target's files are not moved into the stack", async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({}, path.join(work, 'stack'));
    const target = path.join(work, 'target');
    mkdirSync(path.join(target, 'stage'), { recursive: true });
    writeFileSync(path.join(target, 'stage/1'), 'theirs\n');
    writeFileSync(
      path.join(target, 'journal.json'),
      JSON.stringify({ format: 1, ops: [{ op: 'write', path: 'README.md', stage: '1', mode: 420, sha256: sha('theirs\n') }] }),
    );
    symlinkSync(target, path.join(dest, '.bindplane-distributed/txn'));
    expectRefusedUnchanged(work, [dest, '--defaults'], /\.bindplane-distributed\/txn is a symbolic link/);
    expect(readFileSync(path.join(target, 'stage/1'), 'utf8')).toBe('theirs\n');
  });

  it('a linked lock and a linked record are refused too', async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({}, path.join(work, 'stack'));
    writeFileSync(path.join(work, 'elsewhere'), 'x\n');
    symlinkSync(path.join(work, 'elsewhere'), path.join(dest, '.bindplane-distributed/lock'));
    expectRefusedUnchanged(work, [dest, '--defaults'], /\.bindplane-distributed\/lock is a symbolic link/);
  });

  it('a destination that is a link (to a folder, dangling, or a loop) is refused; nothing is written where it leads', () => {
    const work = tempDir('bpd-trust-');
    const real = path.join(work, 'real');
    const links = path.join(work, 'links');
    mkdirSync(real);
    mkdirSync(links);
    symlinkSync(real, path.join(links, 'to-folder'));
    symlinkSync(path.join(work, 'nowhere'), path.join(links, 'dangling'));
    symlinkSync(path.join(links, 'loop'), path.join(links, 'loop'));
    const cases: [string, RegExp][] = [
      ['to-folder', /is a symbolic link \(it leads to ".*real"\)/],
      ['dangling', /is a symbolic link \(a dangling link: it leads nowhere\)/],
      ['loop', /is a symbolic link \(a loop of links\)/],
    ];
    for (const [name, message] of cases) {
      const r = cli([path.join(links, name), '--defaults'], { cwd: work });
      expect(r.stderr).toMatch(message);
      expect(r.status, r.stderr).toBe(2);
      expect(readdirSync(real)).toEqual([]);
      expect(readdirSync(links).sort()).toEqual(['dangling', 'loop', 'to-folder']);
      expect(readdirSync(work).sort()).toEqual(['links', 'real']);
    }
  });
});

/**
 * The built CLI, copied where nobody can read it: the checkout itself may sit in a folder only
 * root may enter (a clone in a fresh `mktemp -d`). A run without a terminal needs no more than
 * bin/, dist/ and package.json (the prompts' packages are loaded only to ask).
 */
let nobodysCli: string | undefined;
function cliForNobody(): string {
  if (nobodysCli) return nobodysCli;
  const copy = tempDir('bpd-cli-');
  for (const f of ['bin', 'dist', 'package.json']) cpSync(path.join(ROOT, f), path.join(copy, f), { recursive: true });
  spawnSync('chmod', ['-R', 'a+rX', copy]);
  nobodysCli = path.join(copy, path.relative(ROOT, CLI));
  return nobodysCli;
}

/** The CLI as the user nobody: tests run as root, whom permission bits do not stop. */
function asNobody(args: string[], cwd: string) {
  return spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, cliForNobody(), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}
const NOBODY = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());

/** A stack owned by nobody, in a work folder nobody may enter. */
function nobodysStack(): { work: string; dest: string } {
  const work = tempDir('bpd-trust-');
  chmodSync(work, 0o755);
  chownSync(work, NOBODY, NOBODY);
  const r = asNobody(['stack', '--defaults'], work);
  expect(r.status, r.stderr).toBe(0);
  return { work, dest: path.join(work, 'stack') };
}

describe("row 4: file-system errors are the person's to fix, said with the path and the fix", () => {
  it('as a user, with nginx/ at mode 555: exit 2 naming nginx/ and chmod, nothing changed, and --check works after', () => {
    const { work, dest } = nobodysStack();
    chmodSync(path.join(dest, 'nginx'), 0o555);
    const before = snapshot(work);
    const r = asNobody([dest, '--defaults', '--instances', '2'], work);
    expect(r.stderr).toMatch(/nginx\/ is read-only, so the files in it cannot be replaced: `chmod u\+w nginx`, then run again; nothing was changed/);
    expect(r.status, r.stderr).toBe(2);
    expect([...snapshot(work).entries()]).toEqual([...before.entries()]);
    const check = asNobody([dest, '--check'], work);
    expect(check.status, check.stderr).toBe(0);
    chmodSync(path.join(dest, 'nginx'), 0o755);
    expect(asNobody([dest, '--defaults', '--instances', '2'], work).status).toBe(0);
  });

  it('a .env left to root by a sudo run: exit 2 with `sudo chown $USER .env`, --check too, nothing changed', () => {
    const { work, dest } = nobodysStack();
    chownSync(path.join(dest, '.env'), 0, 0);
    const before = snapshot(work);
    for (const args of [['--defaults', '--instances', '2'], ['--check']]) {
      const r = asNobody([dest, ...args], work);
      expect(r.stderr).toMatch(/\.env belongs to root \(a run with sudo\?\): `sudo chown \$USER \.env`/);
      expect(r.status, r.stderr).toBe(2);
    }
    expect([...snapshot(work).entries()]).toEqual([...before.entries()]);
  });

  it('an unreadable generated file: exit 2 naming it, not a stack trace', () => {
    const { work, dest } = nobodysStack();
    chownSync(path.join(dest, 'README.md'), 0, 0);
    chmodSync(path.join(dest, 'README.md'), 0o600);
    const r = asNobody([dest, '--check'], work);
    expect(r.stderr).toMatch(/README\.md belongs to root \(a run with sudo\?\): `sudo chown \$USER README\.md`/);
    expect(r.status, r.stderr).toBe(2);
  });

  it('a read-only file is refused, never replaced nor reset to 0644 (as root too)', async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({}, path.join(work, 'stack'));
    chmodSync(path.join(dest, 'docker-compose.yml'), 0o444);
    expectRefusedUnchanged(
      work,
      [dest, '--defaults', '--instances', '2'],
      /docker-compose\.yml is read-only \(mode 444\): the generator does not replace a file you made read-only; `chmod u\+w docker-compose\.yml`/,
    );
  });

  it('an update the file system stops half way (an immutable nginx.conf) is rolled back: exit 2, every byte as before, --check works', async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({}, path.join(work, 'stack'));
    const conf = path.join(dest, 'nginx/nginx.conf');
    const chattr = spawnSync('chattr', ['+i', conf], { encoding: 'utf8' });
    expect(chattr.status, `chattr +i needs a file system with attributes: ${chattr.stderr}`).toBe(0);
    try {
      const before = snapshot(work);
      const r = cli([dest, '--defaults', '--instances', '2'], { cwd: work });
      expect(r.stderr).toMatch(
        /nginx\/nginx\.conf cannot be replaced \(EPERM: an immutable or append-only file\?\).*the update was rolled back, nothing was changed/,
      );
      expect(r.status, r.stderr).toBe(2);
      // docker-compose.yml was replaced before nginx.conf failed: it is back, the same file.
      expect([...snapshot(work).entries()]).toEqual([...before.entries()]);
      expect(existsSync(path.join(dest, '.bindplane-distributed/txn'))).toBe(false);
      expect(cli([dest, '--check'], { cwd: work }).status).toBe(0);
    } finally {
      spawnSync('chattr', ['-i', conf]);
    }
    expect(cli([dest, '--defaults', '--instances', '2'], { cwd: work }).status).toBe(0);
  });

  it('a destination name over 255 bytes: exit 2, nothing made', () => {
    const work = tempDir('bpd-trust-');
    const r = cli([path.join(work, 'x'.repeat(256)), '--defaults'], { cwd: work });
    expect(r.stderr).toMatch(/the folder name "x+…" is 256 bytes, more than the 255 a file system allows/);
    expect(r.status).toBe(2);
    expect(readdirSync(work)).toEqual([]);
  });

  it('/ and the home folder are refused as the destination', () => {
    const work = tempDir('bpd-trust-');
    expect(cli(['/', '--defaults', '--dry-run'], { cwd: work }).stderr).toMatch(/destination "\/" is the root folder/);
    const home = path.join(work, 'home');
    mkdirSync(home);
    const r = cli([home, '--defaults'], { cwd: work, env: { HOME: home } });
    expect(r.stderr).toMatch(/is your home folder: a stack needs a folder of its own/);
    expect(r.status).toBe(2);
    expect(readdirSync(home)).toEqual([]);
  });
});

describe("row 10: keys of JavaScript's object machinery are refused, never applied nor dropped", () => {
  for (const key of ['__proto__', 'constructor', 'prototype'])
    it(`${key} in an answers file: exit 2 naming the key, nothing written`, () => {
      const work = tempDir('bpd-trust-');
      writeFileSync(path.join(work, 'a.yaml'), `${key}:\n  instances: 5\neventBus: nats\n`);
      const r = cli([path.join(work, 'stack'), '--defaults', '--answers', 'a.yaml'], { cwd: work });
      expect(r.stderr).toMatch(new RegExp(`--answers "a.yaml": the key "${key}" is not an answer`));
      expect(r.status).toBe(2);
      expect(readdirSync(work)).toEqual(['a.yaml']);
    });

  it('__proto__ among the stored answers of .yo-rc.json: exit 2 naming it, nothing changed', async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({}, path.join(work, 'stack'));
    const yo = path.join(dest, '.yo-rc.json');
    writeFileSync(yo, readFileSync(yo, 'utf8').replace('"platform"', '"__proto__": { "instances": 5 }, "platform"'));
    expectRefusedUnchanged(work, [dest, '--defaults'], /\.yo-rc\.json: the key "__proto__" is not an answer/);
  });

  it('an answer only on the prototype of a layer is not taken as given: the question is still asked', () => {
    const values = Object.create({ instances: 5, eventBus: 'nats' }) as Record<string, unknown>;
    const pending = pendingQuestions([{ source: 'answers file', values, baseDir: '/tmp' }], undefined, '/tmp/x').map((s) => s.name);
    expect(pending).toContain('instances');
    expect(pending).toContain('eventBus');
  });
});

describe('row 11: values the review got through are refused (exit 2, the flag named, nothing written)', () => {
  const cases: [string[], RegExp][] = [
    [['--event-bus', 'kafka', '--kafka-topic', '..'], /--kafka-topic: "\.\." is not allowed; use .*not "\." or "\.\."/],
    [['--event-bus', 'kafka', '--kafka-topic', '.'], /--kafka-topic: "\." is not allowed/],
    [['--event-bus', 'kafka', '--kafka-topic', 'a'.repeat(250)], /--kafka-topic: "a+…" is not allowed/],
    [['--image-registry', 'a..b/c'], /--image-registry: "a\.\.b\/c" is not allowed/],
    [['--image-registry', 'evil.com:99999/x'], /--image-registry: "evil\.com:99999\/x" is not allowed; use .*a port from 1 to 65535/],
    [['--image-registry', 'evil.com:0/x'], /--image-registry: "evil\.com:0\/x" is not allowed/],
    [['--image-registry', 'ghcr.io/a..b'], /--image-registry: "ghcr\.io\/a\.\.b" is not allowed/],
    [
      ['--remote-url', 'http://a.com:0'],
      /--remote-url: "http:\/\/a\.com:0" is not allowed; use an http:\/\/ or https:\/\/ URL with a host and no path, a port from 1 to 65535 if any/,
    ],
    [['--remote-url', 'http://a..b'], /--remote-url: "http:\/\/a\.\.b" is not allowed/],
    [['--remote-url', 'http://-a.com'], /--remote-url: "http:\/\/-a\.com" is not allowed/],
    [['--prometheus-retention', '99999999999999999y'], /--prometheus-retention: "99999999999999999y" is not allowed; use .*at most 99y, 9999w/],
    [['--prometheus-retention', '100y'], /--prometheus-retention: "100y" is not allowed/],
    [
      ['--event-bus', 'pubsub', '--pubsub-project-id', 'my-project', '--pubsub-topic', 'a%24%28id%29'],
      /--pubsub-topic: "a%24%28id%29" is not allowed; use .*"%" is refused, the emulator's URL would decode it/,
    ],
    [
      ['--event-bus', 'pubsub', '--pubsub-project-id', 'my-project', '--pubsub-topic', 'google-topic'],
      /--pubsub-topic: "google-topic" is not allowed; use .*not with "goog"/,
    ],
    [['--event-bus', 'pubsub', '--pubsub-project-id', 'my-project', '--pubsub-topic', 'ab'], /--pubsub-topic: "ab" is not allowed/],
  ];
  for (const [args, message] of cases)
    it(`${args.slice(-2).join(' ').slice(0, 60)}`, () => {
      const work = tempDir('bpd-trust-');
      const r = cli([path.join(work, 'stack'), '--defaults', ...args], { cwd: work });
      expect(r.stderr).toMatch(message);
      expect(r.status).toBe(2);
      expect(readdirSync(work)).toEqual([]);
    });

  const accepted: string[][] = [
    ['--image-registry', 'registry.example.com:5000/team/sub-team'],
    ['--image-registry', 'observiq'],
    ['--remote-url', 'http://bindplane.example.com:65535'],
    ['--remote-url', 'http://10.0.0.1:3001'],
    ['--prometheus-retention', '99y'],
    ['--event-bus', 'kafka', '--kafka-topic', 'a'.repeat(249)],
    ['--event-bus', 'pubsub', '--pubsub-project-id', 'my-project', '--pubsub-topic', 'Topic.name_1~+-x'],
  ];
  for (const args of accepted)
    it(`still accepted: ${args.slice(-2).join(' ').slice(0, 60)}`, () => {
      const work = tempDir('bpd-trust-');
      const r = cli([path.join(work, 'stack'), '--defaults', '--dry-run', ...args], { cwd: work });
      expect(r.status, r.stderr).toBe(0);
    });
});

describe('issue 19: an interrupt during a first generation writes nothing', () => {
  /** Runs the CLI and sends SIGINT after `ms`; resolves with how it ended. */
  function interrupted(cwd: string, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'x', '--defaults', '--instances', '64'], { cwd, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGINT'), ms);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
  }

  it('Ctrl-C at any moment leaves either nothing or the whole stack, and never a lock or a staging folder', async () => {
    const work = tempDir('bpd-trust-');
    const started = Date.now();
    expect(cli(['x', '--defaults', '--instances', '64'], { cwd: work }).status).toBe(0);
    // Delays across the whole of a run on this machine, from before the lock to after the rename.
    const span = Math.max(60, (Date.now() - started) * 1.3);
    let interruptedRuns = 0;
    for (let i = 0; i < 60; i++) {
      const cwd = path.join(work, `r${i}`);
      mkdirSync(cwd);
      const ms = Math.round(((i * 37) % 60) * (span / 60));
      const end = await interrupted(cwd, ms);
      const left = readdirSync(cwd);
      if (end.signal === 'SIGINT') interruptedRuns++;
      if (left.length === 0) continue;
      // The interrupt came after the rename that puts the stack in place: it is whole, and unlocked.
      expect(left, `after ${ms} ms (${JSON.stringify(end)})`).toEqual(['x']);
      expect(existsSync(path.join(cwd, 'x/.bindplane-distributed/record.json'))).toBe(true);
      expect(readdirSync(path.join(cwd, 'x/.bindplane-distributed')).sort(), `after ${ms} ms`).toEqual(['base.txt', 'record.json']);
    }
    // The delays did interrupt runs (else the test would prove nothing).
    expect(interruptedRuns).toBeGreaterThan(10);
  }, 180_000);

  // The atomicity test's kills at random moments hit this once: a run killed between creating its
  // own lock file and writing it leaves it empty, with its pid only in its name.
  it('an empty lock.<pid> of a run that is gone is swept by the next run that takes the lock', async () => {
    const dest = await generateStack({});
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const own = path.join(dest, `.bindplane-distributed/lock.${gone.stdout}`);
    writeFileSync(own, '');
    const r = cli([dest, '--check']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(own)).toBe(false);
    expect(readdirSync(path.join(dest, '.bindplane-distributed')).sort()).toEqual(['base.txt', 'record.json']);
  });

  // The random delays above hit this window once in three CI runs: a signal while the lock is being
  // released. Here it is hit every time, by a SIGINT sent from inside the release's own read of the
  // lock (fs patched in the child, which Node's syncBuiltinESMExports lets the ESM bindings see).
  it('a SIGINT that comes while the lock is being released does not leave the lock behind', () => {
    const work = tempDir('bpd-trust-');
    const dest = path.join(work, 'stack');
    mkdirSync(dest);
    const script = `
      import fs from 'node:fs';
      import { syncBuiltinESMExports } from 'node:module';
      import { takeLock } from ${JSON.stringify(path.join(ROOT, 'dist/src/update/lock.js'))};
      const lock = takeLock(${JSON.stringify(dest)}, true);
      const read = fs.readFileSync;
      let sent = false;
      fs.readFileSync = (file, ...rest) => {
        if (!sent && String(file).endsWith('.bindplane-distributed/lock')) {
          sent = true;
          process.kill(process.pid, 'SIGINT');
        }
        return read(file, ...rest);
      };
      syncBuiltinESMExports();
      lock.release();
      process.stdout.write(sent ? 'released' : 'no read of the lock');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout, r.stderr).toBe('released');
    expect(r.signal).toBe(null);
    expect(readdirSync(dest)).toEqual([]);
  });
});

describe('row 13: --force keeps what it replaces', () => {
  it("keeps a .orig copy of each file of the person's it replaces, with its mode, and says so", () => {
    const work = tempDir('bpd-trust-');
    const dest = path.join(work, 'stack');
    mkdirSync(dest);
    for (const f of ['README.md', 'Makefile', '.gitignore']) writeFileSync(path.join(dest, f), `mine: ${f}\n`);
    chmodSync(path.join(dest, 'Makefile'), 0o640);
    const r = cli([dest, '--defaults', '--force'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['README.md', 'Makefile', '.gitignore']) {
      expect(readFileSync(path.join(dest, `${f}.orig`), 'utf8')).toBe(`mine: ${f}\n`);
      expect(r.stdout).toContain(`the file as it was is kept as ${f}.orig`);
    }
    expect(statSync(path.join(dest, 'Makefile.orig')).mode & 0o777).toBe(0o640);
    // An edit replaced by a second --force: the first copy stays, the new one takes the next name.
    writeFileSync(path.join(dest, 'README.md'), 'edited again\n');
    const again = cli([dest, '--defaults', '--force', '--instances', '2'], { cwd: work });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('the file as it was is kept as README.md.orig.2');
    expect(readFileSync(path.join(dest, 'README.md.orig'), 'utf8')).toBe('mine: README.md\n');
    expect(readFileSync(path.join(dest, 'README.md.orig.2'), 'utf8')).toBe('edited again\n');
    // The copies are the person's: not in the record, and a later run leaves them alone.
    expect(readFileSync(path.join(dest, RECORD), 'utf8')).not.toContain('.orig');
    expect(cli([dest, '--check'], { cwd: work }).status).toBe(0);
  });
});

describe('row 3: files outside the stack come only from the person, now', () => {
  /** A Pub/Sub stack whose credentials came from outside it, and a .yo-rc.json then pointed at another file of the person's. */
  function craftedPubsubStack(): { work: string; dest: string; foreign: string } {
    const work = tempDir('bpd-trust-');
    writeFileSync(path.join(work, 'sa.json'), SERVICE_ACCOUNT_JSON);
    const dest = path.join(work, 'stack');
    const args = ['--defaults', '--event-bus', 'pubsub', '--pubsub-project-id', 'my-project', '--pubsub-credentials-file', 'sa.json'];
    expect(cli([dest, ...args], { cwd: work }).status).toBe(0);
    const foreign = path.join(work, 'home/.docker/config.json');
    mkdirSync(path.dirname(foreign), { recursive: true });
    writeFileSync(foreign, '{"auths": {"registry.example.com": {"auth": "c2VjcmV0"}}}\n');
    const yo = path.join(dest, '.yo-rc.json');
    const text = JSON.parse(readFileSync(yo, 'utf8'));
    text['generator-bindplane-distributed'].pubsubCredentialsFile = foreign;
    writeFileSync(yo, JSON.stringify(text, null, 2));
    return { work, dest, foreign };
  }

  it('a stored path outside the stack is not read: with the copy, the copy stays as it was', () => {
    const { work, dest } = craftedPubsubStack();
    const copy = readFileSync(path.join(dest, 'local/pubsub/credentials.json'), 'utf8');
    const r = cli([dest, '--defaults'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(dest, 'local/pubsub/credentials.json'), 'utf8')).toBe(copy);
    expect(copy).not.toContain('auths');
  });

  it('without the copy (a clone): exit 2 naming the flag, nothing read or written', () => {
    const { work, dest } = craftedPubsubStack();
    renameSync(path.join(dest, 'local'), path.join(work, 'local.away'));
    expectRefusedUnchanged(
      work,
      [dest, '--defaults'],
      /pubsubCredentialsFile in \.yo-rc\.json: ".*config\.json" \(.*\) is outside the stack, and a file outside it is read only when you give it on this run: give it again with --pubsub-credentials-file PATH/,
    );
  });

  it('given on the command line it is read, and must be a service-account key (any JSON object is refused)', () => {
    const { work, dest, foreign } = craftedPubsubStack();
    expectRefusedUnchanged(
      work,
      [dest, '--defaults', '--pubsub-credentials-file', foreign],
      /--pubsub-credentials-file: ".*config\.json" is not a service-account key \(its "type" is not "service_account"\)/,
    );
    writeFileSync(path.join(work, 'half.json'), '{"type": "service_account"}');
    expectRefusedUnchanged(work, [dest, '--defaults', '--pubsub-credentials-file', 'half.json'], /is not a service-account key \(it has no "private_key"\)/);
    const r = cli([dest, '--defaults', '--pubsub-credentials-file', 'sa.json'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
  });

  it('a registry other than the default is said on every run, --check included', async () => {
    const work = tempDir('bpd-trust-');
    const dest = await generateStack({}, path.join(work, 'stack'));
    const yo = path.join(dest, '.yo-rc.json');
    writeFileSync(yo, readFileSync(yo, 'utf8').replace('"imageRegistry": "ghcr.io/observiq"', '"imageRegistry": "evil.example.com/x"'));
    for (const args of [['--defaults'], ['--defaults'], ['--check'], ['--dry-run', '--defaults']]) {
      const r = cli([dest, ...args], { cwd: work });
      expect(r.stdout).toContain("notice: Bindplane's images come from evil.example.com/x, not the default ghcr.io/observiq");
    }
    const plain = await generateStack({}, path.join(work, 'plain'));
    expect(cli([plain, '--defaults'], { cwd: work }).stdout).not.toContain('images come from');
  });
});
