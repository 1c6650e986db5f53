// The CLI's own surface: --help, --version, the person's other files, and the interactive path
// through a real terminal (@inquirer/prompts, loaded only when something must be asked).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cleanupTempDirs, cli, snapshot, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

describe('bindplane-distributed', () => {
  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('--help lists every answer as a flag with what it allows', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const flag of [
      '--instances',
      '--event-bus',
      '--kafka-brokers',
      '--pubsub-credentials-file',
      '--tls-cert-file',
      '--remote-url',
      '--demo-agents',
      '--answers',
      '--defaults',
      '--dry-run',
      '--check',
      '--force',
      '--restore',
    ])
      expect(r.stdout).toContain(flag);
    expect(r.stdout).toContain('a whole number from 1 to 64');
  });

  it("leaves the person's own files elsewhere in the destination untouched", () => {
    const dest = path.join(tempDir(), 'stack');
    mkdirSync(path.join(dest, 'notes'), { recursive: true });
    writeFileSync(path.join(dest, 'notes/todo.txt'), 'mine\n');
    expect(cli([dest, '--defaults']).status).toBe(0);
    expect(cli([dest, '--defaults', '--instances', '1', '--tls', 'selfSigned']).status).toBe(0);
    expect(cli([dest, '--defaults', '--tls', 'none']).status).toBe(0);
    expect(readFileSync(path.join(dest, 'notes/todo.txt'), 'utf8')).toBe('mine\n');
  });

  it('reads a partial answers file, and flags win over it', () => {
    const work = tempDir();
    writeFileSync(path.join(work, 'a.yml'), '# yaml-language-server: $schema=../answers.schema.json\ninstances: 4\neventBus: nats\n');
    const dest = path.join(work, 'stack');
    const r = cli([dest, '--answers', path.join(work, 'a.yml'), '--instances', '2']);
    expect(r.status, r.stderr).toBe(0);
    const stored = JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];
    expect(stored).toMatchObject({ instances: 2, eventBus: 'nats', projectName: 'stack' });
  });

  it('without a terminal and without --defaults, takes defaults and names the required answers it lacks', () => {
    const dest = path.join(tempDir(), 'stack');
    const r = cli([dest, '--event-bus', 'pubsub', '--tls', 'provided']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'bindplane-distributed: missing required answers: --pubsub-project-id (Google Cloud project ID of the Pub/Sub topic; pubsubProjectId in an answers file), ' +
        '--tls-cert-file (PEM certificate chain for the load balancer; tlsCertFile in an answers file), --tls-key-file (PEM private key of that certificate; tlsKeyFile in an answers file); give them as flags or in --answers',
    );
    expect(existsSync(dest)).toBe(false);
    expect(cli([dest]).status).toBe(0);
  });

  it('DEST defaults to the current folder', () => {
    const dest = tempDir();
    const r = cli(['--defaults'], { cwd: dest });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(dest, 'docker-compose.yml'))).toBe(true);
  });

  it('--force replaces a file the generator did not write, and says so', () => {
    const dest = path.join(tempDir(), 'stack');
    mkdirSync(dest);
    writeFileSync(path.join(dest, 'README.md'), '# mine\n');
    const r = cli([dest, '--defaults', '--force']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /replace\s+README.md\s+\(it was not written by the generator; replaced because of --force; the file as it was is kept as README\.md\.orig\)/,
    );
    expect(readFileSync(path.join(dest, 'README.md'), 'utf8')).toContain('Bindplane, distributed');
  });

  it('never stores the license, from the environment or .env', () => {
    const dest = path.join(tempDir(), 'stack');
    expect(cli([dest, '--defaults'], { env: { BINDPLANE_LICENSE: 'LICENSE-abc-123' } }).status).toBe(0);
    writeFileSync(path.join(dest, '.env'), `${readFileSync(path.join(dest, '.env'), 'utf8')}BINDPLANE_LICENSE=LICENSE-abc-123\n`);
    expect(cli([dest, '--defaults', '--instances', '4'], { env: { BINDPLANE_LICENSE: 'LICENSE-abc-123' } }).status).toBe(0);
    for (const f of ['.yo-rc.json', '.bindplane-distributed/record.json', '.bindplane-distributed/base.txt', 'docker-compose.yml', 'bindplane/bindplane.env'])
      expect(readFileSync(path.join(dest, f), 'utf8'), f).not.toContain('LICENSE-abc-123');
    expect(readFileSync(path.join(dest, '.env'), 'utf8')).toContain('BINDPLANE_LICENSE=LICENSE-abc-123');
  });

  it("the CLI, yo's generator and the library write the same files", async () => {
    const { generate } = await import('../src/library.js');
    const helpers = (await import('yeoman-test')).default;
    // Yeoman's folder has another name, and the project name defaults to the folder's.
    const answers = { instances: '4', eventBus: 'nats', tls: 'selfSigned', demoAgents: '2', 'project-name': 'stack' };
    const viaCli = path.join(tempDir(), 'stack');
    expect(cli([viaCli, '--defaults', '--instances', '4', '--event-bus', 'nats', '--tls', 'selfSigned', '--demo-agents', '2']).status).toBe(0);
    const viaLibrary = path.join(tempDir(), 'stack');
    await generate(viaLibrary, { instances: 4, eventBus: 'nats', tls: 'selfSigned', demoAgents: 2 });
    const viaYeoman = (
      await helpers.run(path.join(ROOT, 'generators/app/index.js'), {}, { force: false }).withOptions({ ...answers, defaults: true, force: false } as never)
    ).cwd;
    const files = (d: string) => new Map([...snapshot(d)].filter(([k]) => k !== '.env' && !k.endsWith('/')).map(([k, v]) => [k, v.content]));
    const a = files(viaCli);
    expect(files(viaLibrary)).toEqual(a);
    expect(files(viaYeoman)).toEqual(a);
    expect(a.size).toBeGreaterThan(10);
  });

  it('the generated README says how to get the command for regeneration', async () => {
    const { buildModel } = await import('../src/model/index.js');
    const dest = path.join(tempDir(), 'stack');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const readme = readFileSync(path.join(dest, 'README.md'), 'utf8');
    const words = buildModel((await import('../src/run/index.js')).resolveFor(dest, [], 'check').answers).command;
    for (const w of [words.install, words.npx, words.package]) expect(readme).toContain(w);
  });

  it('opens no Yeoman or prompt module when nothing has to be asked', () => {
    const work = tempDir();
    const log = path.join(work, 'strace.log');
    // With an answers file, so the YAML path is traced too.
    writeFileSync(path.join(work, 'a.yml'), 'instances: 2\n');
    const r = spawnSync(
      'strace',
      ['-f', '-e', 'trace=openat', '-o', log, process.execPath, CLI, path.join(work, 'stack'), '--defaults', '--answers', path.join(work, 'a.yml')],
      { encoding: 'utf8', input: '' },
    );
    expect(r.status, r.stderr).toBe(0);
    const opened = readFileSync(log, 'utf8');
    expect(opened).toMatch(/dist\/bundle\/cli\.js/);
    expect(opened).not.toMatch(/node_modules\/(yeoman-generator|yeoman-environment|@yeoman|inquirer|@inquirer|mem-fs)/);
  });

  it('at a terminal, a second run with stored answers asks nothing', async () => {
    const dest = path.join(tempDir(), 'stack');
    expect(cli([dest, '--defaults']).status).toBe(0);
    const child = spawn('script', ['-qfec', `${process.execPath} ${CLI} ${dest}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    expect(code, screen).toBe(0);
    expect(screen).toContain('nothing to change');
    expect(screen).not.toContain('?');
  }, 30_000);

  it('asks the questions through @inquirer/prompts when a person is at a terminal', async () => {
    const dest = path.join(tempDir(), 'stack');
    // `script` gives the CLI a real terminal; pressing Enter accepts each proposed answer.
    const child = spawn('script', ['-qfec', `${process.execPath} ${CLI} ${dest} --instances 2`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    const timer = setInterval(() => child.stdin.write('\r'), 150);
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 45_000);
      child.on('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    clearInterval(timer);
    expect(code, screen).toBe(0);
    // eslint-disable-next-line no-control-regex
    screen = screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(screen).not.toContain('? Where the stack runs');
    expect(screen).toContain('? Event bus');
    expect(screen).toContain('? Write the stack with these answers?');
    // Answered by flag: not asked; advanced: not asked unless opened.
    expect(screen).not.toContain('? Bindplane instances behind the load balancer');
    expect(screen).not.toContain('? Project name');
    expect(existsSync(path.join(dest, 'docker-compose.yml'))).toBe(true);
    const stored = JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];
    expect(stored).toMatchObject({ instances: 2, eventBus: 'nats', projectName: 'stack' });
  }, 60_000);
});
