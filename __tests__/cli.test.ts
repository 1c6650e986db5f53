// The CLI's own surface: --help, --version, the person's other files, and the interactive path
// through a real terminal (Yeoman's prompts, loaded only when something must be asked).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cleanupTempDirs, cli, tempDir } from './helpers/stack.js';

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
    for (const flag of ['--instances', '--event-bus', '--kafka-brokers', '--pubsub-credentials-file', '--tls-cert-file', '--remote-url', '--demo-agents', '--answers', '--defaults', '--dry-run', '--check', '--force', '--restore'])
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
    expect(stored).toMatchObject({ instances: 2, eventBus: 'nats', projectName: 'bindplane' });
  });

  it('opens no Yeoman or prompt module when nothing has to be asked', () => {
    const work = tempDir();
    const log = path.join(work, 'strace.log');
    // With an answers file, so the YAML path is traced too.
    writeFileSync(path.join(work, 'a.yml'), 'instances: 2\n');
    const r = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', log, process.execPath, CLI, path.join(work, 'stack'), '--defaults', '--answers', path.join(work, 'a.yml')], { encoding: 'utf8', input: '' });
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

  it('asks the questions through Yeoman when a person is at a terminal', async () => {
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
    expect(screen).toContain('Compose project name');
    expect(screen).toContain('Event bus');
    // Answered by flag: not asked.
    expect(screen).not.toContain('BindPlane instances behind the load balancer');
    expect(existsSync(path.join(dest, 'docker-compose.yml'))).toBe(true);
    const stored = JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];
    expect(stored).toMatchObject({ instances: 2, eventBus: 'kafka', projectName: 'bindplane' });
  }, 60_000);
});
