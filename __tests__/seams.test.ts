// Where the features meet: the question flow and the platform, prompted files and the stack's
// folder, yo and the walk up to a stack, the words that depend on the platform, exit codes.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import helpers from 'yeoman-test';
import { afterAll, describe, expect, it } from 'vitest';
import { askQuestions, type Asker } from '../src/answers/flow.js';
import { resolveAnswers } from '../src/answers/resolve.js';
import { preflight } from '../src/run/index.js';
import { cleanupTempDirs, cli, ROOT, selfSignedPair, snapshot, tempDir } from './helpers/stack.js';
import { KEY, Terminal } from './helpers/pty.js';

afterAll(cleanupTempDirs);

const GENERATOR = path.join(ROOT, 'generators/app/index.js');
const plainEnv = { FORCE_COLOR: '', NO_COLOR: '' };
const stored = (dest: string) => JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];

/** An asker that answers from a script by question name, and records what was asked and said. */
function scripted(answers: { [name: string]: (string | boolean)[] }): Asker & { asked: string[]; said: string[] } {
  const asked: string[] = [];
  const said: string[] = [];
  const next = (name: string, fallback: string | boolean | undefined) => {
    asked.push(name);
    const queue = answers[name];
    return queue && queue.length > 0 ? queue.shift()! : fallback;
  };
  return {
    asked,
    said,
    input: async (q) => String(next(q.name, q.default ?? '')),
    select: async (q) => String(next(q.name, q.default)),
    confirm: async (q) => Boolean(next(q.name, q.default)),
    say: (t) => said.push(t),
  };
}

describe('the flow and the platform', () => {
  it('Kafka chosen, then Kubernetes: the event bus is asked again with the reason, not refused after every question', async () => {
    const dest = path.join(tempDir(), 'stack');
    const ask = scripted({ eventBus: ['kafka', 'nats'], advanced: [true], platform: ['kubernetes'], confirm: [true] });
    const prompted = await askQuestions(ask, { dest, layers: [] });
    expect(prompted).toMatchObject({ platform: 'kubernetes', eventBus: 'nats' });
    expect(ask.asked.filter((n) => n === 'eventBus')).toHaveLength(2);
    expect(ask.said.some((t) => /kafka is not available on kubernetes/.test(t))).toBe(true);
    // Kafka's own questions no longer apply once the bus is NATS.
    expect(ask.asked).not.toContain('kafkaBrokers');
    expect(() => resolveAnswers([{ source: 'prompt', values: prompted, baseDir: dest }], { dest })).not.toThrow();
  });

  it('Kafka given by flag, then Kubernetes at the prompt: refused at once', async () => {
    const dest = path.join(tempDir(), 'stack');
    const ask = scripted({ advanced: [true], platform: ['kubernetes'] });
    await expect(askQuestions(ask, { dest, layers: [{ source: 'flag', values: { eventBus: 'kafka' }, baseDir: dest }] })).rejects.toThrow(
      /--event-bus: kafka is not available on kubernetes/,
    );
    expect(ask.asked.at(-1)).toBe('platform');
  });

  it("the folder's name is shortened to fit the chart's names on Kubernetes", () => {
    const dest = path.join(tempDir(), 'My Production Observability Stack 2025');
    const r = cli([dest, '--defaults', '--platform', 'kubernetes']);
    expect(r.status, r.stderr).toBe(0);
    const name = stored(dest).projectName as string;
    expect('my-production-observability-stack-2025'.startsWith(name)).toBe(true);
    expect(name.length).toBeLessThan(38);
  });

  it('every refusal of Kubernetes is reported at once', () => {
    const r = cli([path.join(tempDir(), 's'), '--defaults', '--platform', 'kubernetes', '--event-bus', 'kafka', '--demo-agents', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('2 answers do not work on kubernetes:');
    expect(r.stderr).toContain('--event-bus:');
    expect(r.stderr).toContain('--demo-agents:');
  });

  it('given answers are checked before any question (an unknown key, a missing file), not rules that wait for answers to come', () => {
    const work = tempDir();
    const dest = path.join(work, 's');
    expect(() => preflight({ dest, layers: [{ source: 'answers file', values: { instance: 5 }, baseDir: work }] })).toThrow(/"instance" is not a known answer/);
    expect(() => preflight({ dest, layers: [{ source: 'flag', values: { tls: 'provided', tlsCertFile: '/nonexistent.pem' }, baseDir: work }] })).toThrow(
      /--tls-cert-file: "\/nonexistent.pem" does not exist/,
    );
    // https:// with TLS still to be asked: not refused yet.
    expect(() => preflight({ dest, layers: [{ source: 'flag', values: { remoteUrl: 'https://bindplane.example.com' }, baseDir: work }] })).not.toThrow();
    expect(existsSync(dest)).toBe(false);
  });
});

describe('prompted files', () => {
  it('a certificate and key typed as paths inside the destination are found (the stack is their base)', async () => {
    const work = tempDir();
    const dest = path.join(work, 'tf');
    mkdirSync(path.join(dest, 'certs'), { recursive: true });
    selfSignedPair(path.join(dest, 'certs'));
    const t = new Terminal(`${process.execPath} ${path.join(ROOT, 'bin/bindplane-distributed.js')} tf --tls provided --instances 2 --event-bus nats`, {
      cwd: work,
    });
    await t.waitFor('PEM certificate chain');
    await t.type(`tf/certs/c.pem${KEY.enter}`);
    await t.waitFor('PEM private key');
    await t.type(`tf/certs/k.pem${KEY.enter}`);
    await t.waitFor('Adjust advanced settings');
    await t.type(KEY.enter);
    await t.waitFor('Write the stack with these answers?');
    await t.type(KEY.enter);
    expect(await t.exit(), t.screen).toBe(0);
    expect(stored(dest)).toMatchObject({ tlsCertFile: 'certs/c.pem', tlsKeyFile: 'certs/k.pem' });
  }, 60_000);
});

describe('yo and the stack around it', () => {
  it('from inside a stack, yo updates that stack; a destination inside one is refused', async () => {
    const dest = path.join(tempDir(), 's');
    expect(cli([dest, '--defaults']).status).toBe(0);
    process.exitCode = 0;
    await helpers
      .run(GENERATOR, { tmpdir: false })
      .cd(path.join(dest, 'nginx'))
      .withOptions({ defaults: true, instances: '4', force: false, skipInstall: true } as never);
    expect(process.exitCode ?? 0).toBe(0);
    expect(stored(dest).instances).toBe(4);
    expect(existsSync(path.join(dest, 'nginx/.yo-rc.json'))).toBe(false);
    const before = snapshot(dest);
    await helpers
      .run(GENERATOR, { tmpdir: false })
      .cd(dest)
      .withArguments(['nginx'])
      .withOptions({ defaults: true, force: false, skipInstall: true } as never);
    expect(process.exitCode).toBe(2);
    process.exitCode = 0;
    expect(snapshot(dest)).toEqual(before);
  });
});

describe('words that depend on the platform', () => {
  it('on Kubernetes a new release is applied with make deploy, and the license is read from .env only', () => {
    const dest = path.join(tempDir(), 'k1');
    expect(cli([dest, '--defaults', '--platform', 'kubernetes']).status).toBe(0);
    const r = cli([dest, '--defaults', '--bindplane-version', '1.99.1'], { env: { ...plainEnv, BINDPLANE_LICENSE: 'exported' } });
    expect(r.stdout).toMatch(/warning: --bindplane-version goes from .* then make deploy/);
    expect(r.stdout).not.toContain('make upgrade');
    expect(r.stdout).toMatch(/\d\. add your Bindplane license to \.env as BINDPLANE_LICENSE=<license> \(unquoted/);
    expect(r.stdout).toMatch(/\d\. make deploy: the chart's Deployments replace one pod at a time/);
    writeFileSync(path.join(dest, '.env'), readFileSync(path.join(dest, '.env'), 'utf8').replace(/^POSTGRES_PASSWORD=.*\n/m, ''));
    const lost = cli([dest, '--defaults']);
    expect(lost.stdout).toMatch(/POSTGRES_PASSWORD was missing .* volume claim/);
    expect(lost.stdout).not.toContain('docker compose');
  });
});

describe('exit codes', () => {
  it('a folder where the generator writes a file is bad input (2), like a foreign file', () => {
    const dest = path.join(tempDir(), 'f1');
    mkdirSync(path.join(dest, 'Makefile'), { recursive: true });
    expect(cli([dest, '--defaults']).status).toBe(2);
    const other = path.join(tempDir(), 'f2');
    mkdirSync(other);
    writeFileSync(path.join(other, 'nginx'), 'a file where a folder goes\n');
    expect(cli([other, '--defaults']).status).toBe(2);
  });

  it('--rotate-secret knows a stack by its record as the rest does, and refuses a folder without one (2)', () => {
    const dest = path.join(tempDir(), 'r1');
    expect(cli([dest, '--defaults']).status).toBe(0);
    rmSync(path.join(dest, '.yo-rc.json'));
    const r = cli([dest, '--rotate-secret', 'BINDPLANE_SESSION_SECRET']);
    expect(r.status, r.stderr).toBe(0);
    const none = tempDir();
    const refused = cli([none, '--rotate-secret', 'BINDPLANE_SESSION_SECRET']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('holds no stack');
  });
});
