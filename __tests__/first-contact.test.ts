// What a newcomer meets first: help that reads well at any width, messages that name what the
// person typed, next steps that fit the run, and a run that finds its stack or refuses.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRows, helpText, placeholderOf, wrapWords } from '../src/cli/args.js';
import { main } from '../src/cli/main.js';
import { projectNameFor, specOf, ANSWERS, allowedText } from '../src/answers/schema.js';
import { validatePrompt } from '../src/answers/questions.js';
import { cleanupTempDirs, cli, snapshot, tempDir, SERVICE_ACCOUNT_JSON } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const ESC = '\u001b[';
/** The environment of a person at a plain pipe: no colour forced or refused. */
const plainEnv = { FORCE_COLOR: '', NO_COLOR: '' };
const stored = (dest: string) => JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];

describe('help', () => {
  it.each([80, 120])('wraps at %i columns between words, never inside one', (width) => {
    const text = helpText('9.9.9', width);
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    // Every word of every answer's description is there whole.
    const words = new Set(text.split(/\s+/));
    for (const a of ANSWERS)
      for (const w of `${a.message}${a.hint ? ` (${a.hint})` : ''}: ${allowedText(a.kind, 'flag')}.`.split(/\s+/))
        expect(words, `${a.name}: ${w}`).toContain(w);
  });

  it('shows what each flag takes', () => {
    const text = helpText('9.9.9', 120);
    expect(text).toMatch(/^ {2}--instances N /m);
    expect(text).toMatch(/^ {2}--tls none\|self-signed\|provided(\s|$)/m);
    expect(text).toMatch(/^ {2}--tls-cert-file FILE /m);
    expect(text).toMatch(/^ {2}--remote-url URL /m);
    expect(text).toMatch(/^ {2}--project-name NAME [^]*?\[the folder's\s+name\]/m);
    for (const a of ANSWERS) expect(placeholderOf(a)).not.toBe('VALUE');
  });

  it('wraps a long word onto its own line instead of cutting it', () => {
    expect(wrapWords('a bbbbbbbbbbbb c', 5)).toEqual(['a', 'bbbbbbbbbbbb', 'c']);
    expect(formatRows([['  --x', 'one two three']], 10).every((l) => !/\S{4,}$/.test(l) || /three|--x/.test(l))).toBe(true);
  });

  it('`help` and `version` as the only word print and create no folder; ./help is a folder', () => {
    const work = tempDir();
    const help = cli(['help'], { cwd: work });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: bindplane-distributed');
    const version = cli(['version'], { cwd: work });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(snapshot(work).size).toBe(0);
    expect(cli(['./help', '--defaults'], { cwd: work }).status).toBe(0);
    expect(existsSync(path.join(work, 'help/docker-compose.yml'))).toBe(true);
  });
});

describe('messages', () => {
  it('suggests the value meant by a differently spelled one', () => {
    const r = cli([path.join(tempDir(), 's'), '--tls', 'self_signed']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--tls: "self_signed" is not allowed (did you mean self-signed?)');
    expect(cli([path.join(tempDir(), 's'), '--event-bus', 'natss']).stderr).toContain('(did you mean nats?)');
  });

  it('an answers file with three wrong values reports all three, and writes nothing', () => {
    const work = tempDir();
    writeFileSync(path.join(work, 'a.yml'), 'instances: 0\ntls: bogus\nhttpPort: x\n');
    const r = cli([path.join(work, 's'), '--answers', path.join(work, 'a.yml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('3 answers are wrong:');
    for (const key of ['instances in the answers file', 'tls in the answers file', 'httpPort in the answers file']) expect(r.stderr).toContain(key);
    expect(existsSync(path.join(work, 's'))).toBe(false);
  });

  it('an unknown key has no stray period after its suggestion', () => {
    const work = tempDir();
    writeFileSync(path.join(work, 'a.yml'), 'instancess: 3\n');
    const r = cli([path.join(work, 's'), '--answers', path.join(work, 'a.yml')]);
    expect(r.stderr).toContain('Did you mean instances? Known answers:');
    expect(r.stderr).not.toMatch(/\?\./);
  });

  it('a prompt answer is refused in words, not by the internal answer name', () => {
    const message = validatePrompt(specOf('projectName')!, 'Not Valid', tempDir());
    expect(message).not.toBe(true);
    expect(String(message)).not.toMatch(/projectName/);
    expect(String(message)).toMatch(/^"Not Valid" is not allowed; use lower-case letters/);
  });

  it('a file the generator did not write is bad input: exit 2, nothing changed', () => {
    const dest = path.join(tempDir(), 's');
    mkdirSync(dest);
    writeFileSync(path.join(dest, 'Makefile'), 'mine:\n');
    const r = cli([dest, '--defaults']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Makefile already exists and was not written by the generator/);
    expect([...snapshot(dest).keys()]).toEqual(['Makefile']);
  });

  it('a file answer inside the stack is stored relative to it, however it was given', () => {
    const work = tempDir();
    const dest = path.join(work, 's');
    mkdirSync(path.join(dest, 'creds'), { recursive: true });
    writeFileSync(path.join(dest, 'creds/sa.json'), SERVICE_ACCOUNT_JSON);
    writeFileSync(path.join(work, 'a.yml'), 'eventBus: pubsub\npubsubProjectId: my-project\npubsubCredentialsFile: s/creds/sa.json\n');
    expect(cli([dest, '--defaults', '--answers', path.join(work, 'a.yml')]).status).toBe(0);
    expect(stored(dest).pubsubCredentialsFile).toBe('creds/sa.json');
    expect(cli([dest, '--defaults', '--pubsub-credentials-file', path.join(dest, 'creds/sa.json')]).status).toBe(0);
    expect(stored(dest).pubsubCredentialsFile).toBe('creds/sa.json');
    expect(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8')).not.toContain(work);
  });

  it('a file answer that is gone in a clone says how to give it again', () => {
    const work = tempDir();
    const keyDir = path.join(work, 'keys');
    mkdirSync(keyDir);
    const dest = path.join(work, 's');
    writeFileSync(path.join(work, 'sa.json'), SERVICE_ACCOUNT_JSON);
    expect(
      cli([dest, '--defaults', '--event-bus', 'pubsub', '--pubsub-project-id', 'my-project', '--pubsub-credentials-file', path.join(work, 'sa.json')]).status,
    ).toBe(0);
    // What a teammate's clone lacks: the file outside the stack and the git-ignored copy.
    renameSync(path.join(work, 'sa.json'), path.join(keyDir, 'sa.json'));
    const copy = path.join(dest, 'local');
    renameSync(copy, `${copy}.away`);
    const r = cli([dest, '--defaults']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('pubsubCredentialsFile in .yo-rc.json:');
    expect(r.stderr).toContain('on this machine; give it again with --pubsub-credentials-file PATH');
  });
});

describe('where a run works', () => {
  it('from inside a stack, updates that stack instead of writing a second one', () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const r = cli(['--defaults', '--instances', '4'], { cwd: path.join(dest, 'nginx'), env: plainEnv });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('using the stack in .. ');
    expect(stored(dest).instances).toBe(4);
    expect(existsSync(path.join(dest, 'nginx/docker-compose.yml'))).toBe(false);
    expect(existsSync(path.join(dest, 'nginx/.env'))).toBe(false);
  });

  it('a destination named inside a stack is refused, and nothing is written', () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const before = snapshot(dest);
    const r = cli([path.join(dest, 'nginx'), '--defaults']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is inside the stack in .*; give that folder/);
    expect(snapshot(dest)).toEqual(before);
  });

  it('--check on a folder without a stack says so', () => {
    const work = tempDir();
    for (const target of [work, path.join(work, 'absent')]) {
      const r = cli([target, '--check']);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('holds no stack (no .yo-rc.json of this generator)');
      expect(r.stdout).toBe('');
    }
    expect(snapshot(work).size).toBe(0);
  });
});

describe('the project name', () => {
  it("defaults to the folder's name, made valid, and is kept when the folder is renamed", () => {
    expect(projectNameFor('/x/My Stack.v2')).toBe('my-stack-v2');
    expect(projectNameFor('/x/--weird__')).toBe('weird');
    expect(projectNameFor('/x/日本')).toBe('bindplane');
    expect(projectNameFor(`/x/${'a'.repeat(80)}`)).toHaveLength(63);
    const work = tempDir();
    const dest = path.join(work, 'Team A');
    expect(cli([dest, '--defaults']).status).toBe(0);
    expect(stored(dest).projectName).toBe('team-a');
    expect(readFileSync(path.join(dest, 'docker-compose.yml'), 'utf8')).toMatch(/^name: "team-a"$/m);
    const moved = path.join(work, 'renamed');
    renameSync(dest, moved);
    expect(cli([moved, '--check']).status).toBe(0);
  });

  it('warns when a Compose project of that name already runs from another folder', () => {
    const work = tempDir();
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    // A stand-in docker that answers `compose ls` as Docker does, and records that it was asked.
    writeFileSync(
      path.join(bin, 'docker'),
      `#!/bin/sh\necho "$*" >> "${work}/calls"\n[ "$1 $2" = "compose ls" ] && echo '[{"Name":"shop","Status":"running(9)","ConfigFiles":"/srv/shop/docker-compose.yml"}]'\n`,
    );
    chmodSync(path.join(bin, 'docker'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, DOCKER_HOST: 'unix:///nowhere.sock', ...plainEnv };
    const clash = cli([path.join(work, 'shop'), '--defaults'], { env });
    expect(clash.status).toBe(0);
    expect(clash.stdout).toContain('warning: a Compose project named shop already exists (running(9), from /srv/shop)');
    expect(clash.stdout).toContain('--project-name NAME');
    const other = cli([path.join(work, 'other'), '--defaults'], { env });
    expect(other.stdout).not.toContain('already exists');
    // A rerun with the same name does not ask Docker again.
    const calls = readFileSync(path.join(work, 'calls'), 'utf8').split('\n').filter(Boolean).length;
    expect(cli([path.join(work, 'other'), '--defaults'], { env }).status).toBe(0);
    expect(readFileSync(path.join(work, 'calls'), 'utf8').split('\n').filter(Boolean)).toHaveLength(calls);
  });
});

describe('next steps', () => {
  const steps = (out: string) =>
    out
      .slice(out.indexOf('next:'))
      .split('\n')
      .filter((l) => /^ {2}\d+\. /.test(l));

  it('a new stack: cd, license, make start, the URL and where the password is', () => {
    const work = tempDir();
    const r = cli(['s', '--defaults', '--http-port', '8080'], { cwd: work, env: plainEnv });
    expect(r.stdout).toContain('done: a new stack in s');
    expect(steps(r.stdout)).toEqual([
      '  1. cd s',
      '  2. add your Bindplane license to .env as BINDPLANE_LICENSE=<license> (or export BINDPLANE_LICENSE)',
      '  3. make start: starts the stack and waits until every service is healthy',
      '  4. open http://localhost:8080 and sign in as admin; the password is BINDPLANE_PASSWORD in .env',
    ]);
    expect(r.stdout).not.toContain(ESC);
  });

  it('an update in the current folder: no cd, no license once it is set, make upgrade for a new release', () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const env = path.join(dest, '.env');
    writeFileSync(env, `${readFileSync(env, 'utf8')}BINDPLANE_LICENSE=abc\n`);
    const update = cli(['--defaults', '--instances', '5'], { cwd: dest, env: plainEnv });
    expect(update.stdout).toContain('done: updated the stack in .');
    expect(steps(update.stdout)).toEqual(['  1. make start: applies the change, recreating only what changed']);
    const release = cli(['--defaults', '--bindplane-version', '1.99.1'], { cwd: dest, env: plainEnv });
    expect(steps(release.stdout)).toEqual(['  1. make upgrade: a backup, then one instance at a time']);
    expect(cli(['--defaults'], { cwd: dest, env: plainEnv }).stdout).not.toContain('next:');
  });

  it('colour only on a terminal: never with NO_COLOR, never when piped', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t), interactive: false, color: true };
    expect(await main([path.join(tempDir(), 's'), '--defaults'], io)).toBe(0);
    expect(lines.join('\n')).toContain(`${ESC}`);
    const coloured = lines.find((l) => l.includes('make start'))!;
    expect(coloured).toMatch(new RegExp(`\\u001b\\[\\d+mmake start\\u001b\\[\\d+m`));
    expect(cli([path.join(tempDir(), 's'), '--defaults'], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } }).stdout).not.toContain(ESC);
    expect(cli([path.join(tempDir(), 's'), '--defaults'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } }).stdout).toContain(ESC);
  });
});
