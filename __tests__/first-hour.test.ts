// A newcomer's first hour (issue 19), each through the real command where it can be: flag values in
// kebab-case, suggestions for the words people use, the line a run without a terminal says, a dry
// run of a new stack that lists files, what a regeneration changed in the answers, the closing line
// after conflicts were resolved, a summary that fits the terminal, kill -INT at a prompt, and a
// stack's rotate-secret that says how to reach its generator (yo's help: install.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summary } from '../src/answers/flow.js';
import { GENERATOR_REPOSITORY } from '../src/model/compose/operations.js';
import { KEY, Terminal } from './helpers/pty.js';
import { CLI, ROOT, cleanupTempDirs, cli, snapshot, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const stored = (dest: string) => JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];

describe('flag values', () => {
  it('--tls self-signed is selfSigned: the same stored answers and byte-identical files', () => {
    const work = tempDir();
    const [kebab, camel] = ['kebab', 'camel'].map((n) => path.join(work, n));
    const common = ['--defaults', '--project-name', 'same'];
    expect(cli([kebab, ...common, '--tls', 'self-signed']).status).toBe(0);
    expect(cli([camel, ...common, '--tls', 'selfSigned']).status).toBe(0);
    expect(stored(kebab).tls).toBe('selfSigned');
    expect(readFileSync(path.join(kebab, '.yo-rc.json'), 'utf8')).toBe(readFileSync(path.join(camel, '.yo-rc.json'), 'utf8'));
    // Secrets are random per stack: .env and the record of their hashes differ, nothing else.
    const files = (dir: string) =>
      new Map([...snapshot(dir)].filter(([p]) => !['.env', '.bindplane-distributed/record.json'].includes(p)).map(([p, f]) => [p, f.content]));
    expect(files(kebab)).toEqual(files(camel));
    expect(files(kebab).size).toBeGreaterThan(10);
  });

  it('--platform k8s suggests kubernetes; a bad --tls names the kebab-case values', () => {
    const k8s = cli([path.join(tempDir(), 's'), '--platform', 'k8s']);
    expect(k8s.status).toBe(2);
    expect(k8s.stderr).toContain('--platform: "k8s" is not allowed (did you mean kubernetes?); use one of compose, kubernetes');
    const tls = cli([path.join(tempDir(), 's'), '--tls', 'bogus']);
    expect(tls.stderr).toContain('use one of none, self-signed, provided');
    expect(cli(['--help']).stdout).toMatch(/--tls none\|self-signed\|provided/);
  });
});

describe('a run without a terminal', () => {
  it('says in one line that it took the defaults, naming the questions that matter first', () => {
    const r = cli([path.join(tempDir(), 's')]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toEqual([expect.stringMatching(/^no terminal to ask at: took the defaults for --instances, --event-bus, --tls and \d+ more /)]);
  });

  it('says nothing of defaults with --defaults, or when every answer is stored', () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults']).stderr).toBe('');
    expect(cli([dest]).stderr).toBe('');
  });
});

describe('--dry-run', () => {
  it('of a new stack lists each file with its size instead of printing every file whole', () => {
    const dest = path.join(tempDir(), 'new');
    const r = cli([dest, '--defaults', '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    const compose = /^create {3}docker-compose\.yml {2}\((\d+) bytes\)$/m.exec(r.stdout);
    expect(compose, r.stdout).not.toBeNull();
    expect(r.stdout).not.toContain('+++ b/');
    expect(r.stdout.split('\n').length).toBeLessThan(40);
    // The size is the file's, as a real run then writes it.
    expect(cli([dest, '--defaults']).status).toBe(0);
    expect(Number(compose![1])).toBe(readFileSync(path.join(dest, 'docker-compose.yml')).length);
    // Of an existing stack: the diffs, and the answers that change.
    const update = cli([dest, '--instances', '5', '--dry-run']);
    expect(update.stdout).toMatch(/^answer {3}instances 3 -> 5$/m);
    expect(update.stdout).toContain('+++ b/docker-compose.yml');
  });
});

describe('a regeneration', () => {
  it('says what changed in the answers, one a line, before the files', () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const r = cli([dest, '--instances', '5', '--tls', 'self-signed']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual(['answer   instances 3 -> 5', 'answer   tls none -> selfSigned']);
    expect(cli([dest]).stdout).not.toMatch(/^answer /m);
  });

  it('after a person resolved a conflict, the rerun ends with a done line and the next step', () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults', '--project-name', 's']).status).toBe(0);
    const compose = path.join(dest, 'docker-compose.yml');
    writeFileSync(compose, readFileSync(compose, 'utf8').replace(/image: \S+bindplane-ee:\S+/, 'image: my-registry/bindplane-ee:custom'));
    const conflicted = cli([dest, '--bindplane-version', '1.99.1']);
    expect(conflicted.status).toBe(1);
    // The person keeps their side of each block.
    const text = readFileSync(compose, 'utf8');
    expect(text).toContain('<<<<<<< yours');
    writeFileSync(compose, text.replace(/<<<<<<< yours.*\n([\s\S]*?)=======\n[\s\S]*?>>>>>>> generator.*\n/g, '$1'));
    const rerun = cli([dest], { cwd: path.dirname(dest) });
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/^keep {5}docker-compose\.yml/m);
    expect(rerun.stdout).toContain('done: the stack in s matches its answers, with your edits kept');
    expect(rerun.stdout).toMatch(/^ {2}\d\. make start: /m);
  });
});

describe('at a terminal', () => {
  it('the summary before writing fits the terminal: every line within 80 columns, every value whole', () => {
    const dest = path.join(tempDir(), 'a-rather-long-folder-name-for-a-stack');
    const layers = [
      { source: 'flag' as const, values: { eventBus: 'pubsub', pubsubProjectId: 'my-project', tls: 'selfSigned', transformAgents: '2' }, baseDir: dest },
    ];
    const wide = summary({ layers, dest, columns: 200 });
    for (const columns of [60, 80]) {
      const text = summary({ layers, dest, columns });
      for (const line of text.split('\n')) if (!line.includes(dest)) expect(line.length, line).toBeLessThanOrEqual(columns);
      // The same words, only wrapped.
      expect(text.split(/\s+/).filter(Boolean)).toEqual(wide.split(/\s+/).filter(Boolean));
    }
    // Rows that fit stay one a line, aligned, as before.
    expect(wide).toMatch(/^ {2}Event bus\s{2,}Google Pub\/Sub/m);
  });

  it('kill -INT at a prompt prints Cancelled and exits 130, as Ctrl-C does, and writes nothing', async () => {
    const dest = path.join(tempDir(), 'stack');
    const t = new Terminal(`${process.execPath} ${CLI} ${dest}`);
    await t.waitFor('Bindplane instances behind the load balancer');
    // The command under `script`'s shell (exec'd): the one process whose command line names the CLI.
    const pid = Number(
      execFileSync('pgrep', ['-f', `${CLI} ${dest}`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(process.execPath)),
    );
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGINT');
    expect(await t.exit()).toBe(130);
    expect(t.screen).toContain('Cancelled');
    expect(snapshot(path.dirname(dest)).size).toBe(0);
  }, 60_000);

  it('the summary at an 80-column terminal: no line wider than the terminal', async () => {
    const dest = path.join(tempDir(), 'stack');
    const t = new Terminal(`${process.execPath} ${CLI} ${dest} --event-bus pubsub --pubsub-project-id my-project`, { columns: 80 });
    for (const q of [
      'Bindplane instances behind the load balancer',
      'Service-account JSON file for Pub/Sub',
      'TLS on the load balancer',
      'Adjust advanced settings',
    ]) {
      await t.waitFor(q);
      await t.type(KEY.enter);
    }
    await t.waitFor('Write the stack with these answers?');
    const shown = t.screen.slice(t.screen.indexOf(`The stack in`));
    const rows = shown.split(/\r?\n/).slice(
      1,
      shown.split(/\r?\n/).findIndex((l) => l.includes('Write the stack')),
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row.length, row).toBeLessThanOrEqual(80);
    await t.type(KEY.ctrlC);
    expect(await t.exit()).toBe(130);
  }, 60_000);
});

describe("the generated Makefile's rotate-secret", () => {
  const makeRotate = (dest: string, extra: string[], env: NodeJS.ProcessEnv) =>
    spawnSync('make', ['rotate-secret', 'NAME=BINDPLANE_SESSION_SECRET', ...extra], { cwd: dest, encoding: 'utf8', env: { ...process.env, ...env } });

  it('without the generator on PATH says exactly how to get it or name it, and changes nothing', () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const before = readFileSync(path.join(dest, '.env'), 'utf8');
    const r = makeRotate(dest, [], { PATH: '/usr/bin:/bin' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('bindplane-distributed is not on PATH');
    expect(r.stderr).toContain(`npm install --global "$(npm pack --silent ${GENERATOR_REPOSITORY})"`);
    expect(r.stderr).toContain(
      'make rotate-secret NAME=BINDPLANE_SESSION_SECRET GENERATOR="node /path/to/generator-bindplane-distributed/bin/bindplane-distributed.js"',
    );
    expect(r.stderr).not.toContain('No such file or directory');
    expect(readFileSync(path.join(dest, '.env'), 'utf8')).toBe(before);

    // Named as the message says, it runs the generator and rotates the secret.
    const named = makeRotate(dest, [`GENERATOR=${process.execPath} ${CLI}`], {});
    expect(named.status, named.stderr).toBe(0);
    const secret = (t: string) => /^BINDPLANE_SESSION_SECRET=(.*)$/m.exec(t)![1];
    expect(secret(readFileSync(path.join(dest, '.env'), 'utf8'))).not.toBe(secret(before));
  });

  it("names the package's own repository", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(GENERATOR_REPOSITORY).toBe(pkg.repository.url);
  });
});
