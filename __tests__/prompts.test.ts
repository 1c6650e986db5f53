// The question flow at a real terminal (a pseudo-terminal through util-linux `script`), for the
// CLI and for the real `yo`: the few questions of the default path, the advanced gate, the summary
// to confirm, Ctrl-C, and file answers refused at their own prompt.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADVANCED_QUESTION, CONFIRM_QUESTION } from '../src/answers/flow.js';
import { promptMessage, validatePrompt } from '../src/answers/questions.js';
import { ANSWERS, specOf } from '../src/answers/schema.js';
import { CLI, cleanupTempDirs, selfSignedPair, tempDir, SERVICE_ACCOUNT_JSON } from './helpers/stack.js';
import { KEY, Terminal } from './helpers/pty.js';

afterAll(cleanupTempDirs);

const bin = (args: string) => `${process.execPath} ${CLI} ${args}`;
const stored = (dir: string) => JSON.parse(readFileSync(path.join(dir, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];
/** The questions a screen asked, by answer name (Inquirer shows each as "? question"). */
const asked = (screen: string) =>
  [...ANSWERS.map((s) => [s.name, promptMessage(s)] as const), ['advanced', ADVANCED_QUESTION] as const, ['confirm', CONFIRM_QUESTION] as const]
    .filter(([, q]) => screen.includes(`? ${q}`))
    .map(([n]) => n);

function makeCert(dir: string, name = ''): { cert: string; key: string } {
  return selfSignedPair(dir, { cert: `cert${name}.pem`, key: `key${name}.pem` });
}

describe('the questions as written', () => {
  it('no prompt text holds parentheses (the prompt adds the default in them), and every list choice has words', () => {
    for (const spec of ANSWERS) {
      expect(promptMessage(spec), spec.name).not.toMatch(/[()]/);
      if (spec.kind.type === 'enum' || spec.kind.type === 'intEnum') {
        for (const v of spec.kind.values) expect(spec.labels?.[String(v)], `${spec.name} ${v}`).toMatch(/\w+ \w+/);
      }
    }
    expect(ADVANCED_QUESTION).not.toMatch(/[()]/);
  });

  it('each file answer is checked by its content where it is asked', () => {
    const work = tempDir();
    const { cert, key } = makeCert(work);
    writeFileSync(path.join(work, 'sa.json'), SERVICE_ACCOUNT_JSON);
    writeFileSync(path.join(work, 'list.json'), '[1, 2]');
    const check = (name: string, file: string, known = {}) => validatePrompt(specOf(name)!, path.join(work, file), work, known);
    expect(check('pubsubCredentialsFile', 'sa.json')).toBe(true);
    expect(check('pubsubCredentialsFile', 'list.json')).toMatch(/is not a JSON object/);
    expect(check('pubsubCredentialsFile', path.basename(cert))).toMatch(/is not JSON/);
    expect(validatePrompt(specOf('pubsubCredentialsFile')!, '', work)).toBe(true);
    expect(check('tlsCertFile', path.basename(cert))).toBe(true);
    expect(check('tlsCertFile', path.basename(key))).toMatch(/is a private key, not a certificate/);
    expect(check('tlsCertFile', 'missing.pem')).toMatch(/does not exist/);
    expect(check('tlsKeyFile', path.basename(key), { tlsCertFile: cert })).toBe(true);
    expect(check('tlsKeyFile', path.basename(cert))).toMatch(/is a certificate, not a private key/);
  });
});

describe('bindplane-distributed at a terminal', () => {
  it('the default path asks instances, event bus and TLS, then the advanced gate, then a summary to confirm', async () => {
    const dest = path.join(tempDir(), 'stack');
    const t = new Terminal(bin(dest));
    await t.waitFor('Bindplane instances behind the load balancer');
    await t.type(`${'\x7f'.repeat(3)}5${KEY.enter}`);
    await t.waitFor('Event bus');
    await t.type(KEY.enter);
    await t.waitFor('TLS on the load balancer');
    await t.type(KEY.enter);
    await t.waitFor(ADVANCED_QUESTION);
    await t.type(KEY.enter);
    await t.waitFor(CONFIRM_QUESTION);
    // The summary shows what will be written, in words.
    expect(t.screen).toMatch(/Bindplane instances behind the load balancer\s+5/);
    expect(t.screen).toMatch(/Event bus\s+NATS: the vendor's default/);
    expect(existsSync(dest)).toBe(false);
    await t.type(KEY.enter);
    expect(await t.exit(), t.screen).toBe(0);
    // instances, event bus, TLS, the gate, the summary: five questions and no more.
    expect(asked(t.screen)).toEqual(['instances', 'eventBus', 'tls', 'advanced', 'confirm']);
    expect(stored(dest)).toMatchObject({ instances: 5, eventBus: 'nats', tls: 'none' });
  }, 60_000);

  it('yes at the advanced gate opens the other questions', async () => {
    const dest = path.join(tempDir(), 'stack');
    const t = new Terminal(bin(`${dest} --instances 2 --event-bus nats --tls none`));
    await t.waitFor(ADVANCED_QUESTION);
    await t.type(`y${KEY.enter}`);
    await t.waitFor('Where the stack runs');
    await t.type(KEY.enter);
    await t.waitFor('Project name');
    for (let i = 0; i < 30 && !t.screen.includes(CONFIRM_QUESTION); i++) await t.type(KEY.enter).then(() => new Promise((r) => setTimeout(r, 150)));
    await t.waitFor(CONFIRM_QUESTION);
    await t.type(KEY.enter);
    expect(await t.exit(), t.screen).toBe(0);
    for (const q of ['Project name', 'PostgreSQL release', 'Host port of the load balancer', 'Demo Bindplane agents']) expect(t.screen).toContain(q);
  }, 60_000);

  it('no at the summary writes nothing: "Cancelled", exit 130, no folder', async () => {
    const dest = path.join(tempDir(), 'stack');
    const t = new Terminal(bin(`${dest} --instances 2 --event-bus nats --tls none`));
    await t.waitFor(ADVANCED_QUESTION);
    await t.type(KEY.enter);
    await t.waitFor(CONFIRM_QUESTION);
    await t.type(`n${KEY.enter}`);
    expect(await t.exit(), t.screen).toBe(130);
    expect(t.screen).toContain('Cancelled');
    expect(existsSync(dest)).toBe(false);
  }, 60_000);

  it('Ctrl-C in a prompt prints "Cancelled", exits 130 and leaves no folder, without a stack trace', async () => {
    const dest = path.join(tempDir(), 'stack');
    const t = new Terminal(bin(dest));
    await t.waitFor('Bindplane instances behind the load balancer');
    await t.type(KEY.ctrlC);
    expect(await t.exit(), t.screen).toBe(130);
    expect(t.screen).toContain('Cancelled');
    expect(t.screen).not.toMatch(/ExitPromptError|at .*\.js:\d+/);
    expect(existsSync(dest)).toBe(false);
  }, 60_000);

  for (const [kind, question] of [
    ['a list', 'Event bus'],
    ['a yes/no', ADVANCED_QUESTION],
  ] as const) {
    it(`Ctrl-C at ${kind} prompt ends the same way`, async () => {
      const dest = path.join(tempDir(), 'stack');
      const t = new Terminal(bin(`${dest} --instances 2`));
      await t.waitFor('Event bus');
      if (question !== 'Event bus') {
        await t.type(KEY.enter);
        await t.waitFor('TLS on the load balancer');
        await t.type(KEY.enter);
        await t.waitFor(question);
      }
      await t.type(KEY.ctrlC);
      expect(await t.exit(), t.screen).toBe(130);
      expect(t.screen).toContain('Cancelled');
      expect(existsSync(dest)).toBe(false);
    }, 60_000);
  }

  it('refuses a swapped certificate and key at their own prompts, and a key of another certificate, then takes the right ones', async () => {
    const work = tempDir();
    const a = makeCert(work, 'a');
    const b = makeCert(work, 'b');
    const dest = path.join(work, 'stack');
    const t = new Terminal(bin(`${dest} --instances 1 --event-bus nats`));
    await t.waitFor('TLS on the load balancer');
    await t.type(`${KEY.down}${KEY.down}${KEY.enter}`);
    await t.waitFor('PEM certificate chain');
    await t.type(`${a.key}${KEY.enter}`);
    await t.waitFor('is a private key, not a certificate');
    await t.type(`${'\x7f'.repeat(a.key.length)}${a.cert}${KEY.enter}`);
    await t.waitFor('PEM private key of that certificate');
    await t.type(`${a.cert}${KEY.enter}`);
    await t.waitFor('is a certificate, not a private key');
    await t.type(`${'\x7f'.repeat(a.cert.length)}${b.key}${KEY.enter}`);
    await t.waitFor('is not the private key of the certificate');
    await t.type(`${'\x7f'.repeat(b.key.length)}${a.key}${KEY.enter}`);
    await t.waitFor(ADVANCED_QUESTION);
    await t.type(KEY.enter);
    await t.waitFor(CONFIRM_QUESTION);
    await t.type(KEY.enter);
    expect(await t.exit(), t.screen).toBe(0);
    // Outside the stack, beside it: stored relative to it (no absolute path in the committed file).
    expect(stored(dest)).toMatchObject({ tls: 'provided', tlsCertFile: path.relative(dest, a.cert), tlsKeyFile: path.relative(dest, a.key) });
  }, 60_000);

  it('an error found after the questions leaves no destination folder behind', async () => {
    const dest = path.join(tempDir(), 'stack');
    // https:// with TLS none is refused once TLS is answered.
    const t = new Terminal(bin(`${dest} --instances 1 --event-bus nats --remote-url https://bindplane.example.com`));
    await t.waitFor('TLS on the load balancer');
    await t.type(KEY.enter);
    await t.waitFor(ADVANCED_QUESTION);
    await t.type(KEY.enter);
    expect(await t.exit(), t.screen).toBe(2);
    expect(t.screen).toContain('uses https:// but tls is none');
    expect(existsSync(dest)).toBe(false);
  }, 60_000);

  it('refuses files the generator did not write before the first question, and leaves the folder as it was', async () => {
    const dest = path.join(tempDir(), 'stack');
    mkdirSync(dest);
    writeFileSync(path.join(dest, 'Makefile'), 'mine:\n');
    const t = new Terminal(bin(dest));
    expect(await t.exit(), t.screen).toBe(2);
    expect(t.screen).toContain('Makefile already exists and was not written by the generator');
    expect(t.screen).not.toContain('?');
  }, 60_000);
});
