// Issue 20, row 3: a file answer stored in .yo-rc.json that points outside the stack is read again
// only when it is given on this run or confirmed at the prompt; file answers inside the stack are
// stored relative to it, also when the stack is reached through a link.
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { askQuestions, readAgainQuestion, type Asker } from '../src/answers/flow.js';
import { specOf } from '../src/answers/schema.js';
import { storedLayer } from '../src/run/index.js';
import { CLI, cleanupTempDirs, cli, selfSignedPair, tempDir } from './helpers/stack.js';
import { KEY, Terminal } from './helpers/pty.js';

afterAll(cleanupTempDirs);

const stored = (dest: string) => JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'))['generator-bindplane-distributed'];
const recordCopies = (dest: string) => JSON.parse(readFileSync(path.join(dest, '.bindplane-distributed/record.json'), 'utf8')).copies;
const TLS_ARGS = (cert: string, key: string) => ['--defaults', '--tls', 'provided', '--tls-cert-file', cert, '--tls-key-file', key];

/** A stack whose certificate and key lie outside it; `clone` takes away the copies in local/, as a clone lacks them. */
function outsideCertStack(clone: boolean): { work: string; dest: string; cert: string; key: string } {
  const work = tempDir('bpd-outside-');
  const { cert, key } = selfSignedPair(work);
  const dest = path.join(work, 'stack');
  const r = cli([dest, ...TLS_ARGS(cert, key)], { cwd: work });
  expect(r.status, r.stderr).toBe(0);
  if (clone) renameSync(path.join(dest, 'local'), path.join(work, 'local.away'));
  return { work, dest, cert, key };
}

/** An asker that says `yes` to every question it is asked, and records their names. */
function saying(yes: boolean): Asker & { asked: string[] } {
  const asked: string[] = [];
  const answer = async (q: { name: string }) => (asked.push(q.name), yes);
  return { asked, confirm: answer, input: async (q) => (asked.push(q.name), ''), select: async (q) => (asked.push(q.name), ''), say: () => {} };
}

describe('a stored file outside the stack, at the prompt', () => {
  it('is asked about, one confirmation a file and nothing else; yes makes it an answer of this run, no leaves it unread', async () => {
    const { dest, cert, key } = outsideCertStack(true);
    const yes = saying(true);
    expect(await askQuestions(yes, { dest, layers: [], stored: storedLayer(dest) })).toEqual({ tlsCertFile: cert, tlsKeyFile: key });
    expect(yes.asked).toEqual(['tlsCertFileReadAgain', 'tlsKeyFileReadAgain']);
    const no = saying(false);
    expect(await askQuestions(no, { dest, layers: [], stored: storedLayer(dest) })).toEqual({});
    expect(no.asked).toHaveLength(2);
  });

  it('is not asked about when this run gives it, or when it no longer applies', async () => {
    const { dest, cert } = outsideCertStack(true);
    const given = saying(true);
    await askQuestions(given, { dest, layers: [{ source: 'flag', values: { tlsCertFile: cert }, baseDir: dest }], stored: storedLayer(dest) });
    expect(given.asked).toEqual(['tlsKeyFileReadAgain']);
    const off = saying(true);
    await askQuestions(off, { dest, layers: [{ source: 'flag', values: { tls: 'none' }, baseDir: dest }], stored: storedLayer(dest) });
    expect(off.asked).not.toContain('tlsCertFileReadAgain');
  });

  it('at a terminal, yes reads the files again and the run writes their copies; exit 0', async () => {
    const { work, dest, cert } = outsideCertStack(true);
    const t = new Terminal(`${process.execPath} ${CLI} ${dest}`, { cwd: work });
    await t.waitFor(readAgainQuestion(specOf('tlsCertFile')!, cert));
    await t.type(`y${KEY.enter}`);
    await t.waitFor('read ');
    await t.type(`y${KEY.enter}`);
    expect(await t.exit(), t.screen).toBe(0);
    expect(readFileSync(path.join(dest, 'local/tls/tls.crt'), 'utf8')).toBe(readFileSync(cert, 'utf8'));
  }, 60_000);

  it('at a terminal, no (the default) leaves it unread: refused as without a terminal, exit 2 naming the flag', async () => {
    const { work, dest } = outsideCertStack(true);
    const t = new Terminal(`${process.execPath} ${CLI} ${dest}`, { cwd: work });
    await t.waitFor('read ');
    await t.type(KEY.enter);
    await t.waitFor('read ');
    await t.type(KEY.enter);
    expect(await t.exit(), t.screen).toBe(2);
    expect(t.screen).toMatch(/is outside the stack, .*give it again with --tls-cert-file PATH/);
    expect(existsSync(path.join(dest, 'local'))).toBe(false);
  }, 60_000);

  it('without a terminal it is refused with exit 2 naming the flag, and given again it is read', () => {
    const { work, dest, cert, key } = outsideCertStack(true);
    const r = cli([dest], { cwd: work });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/tlsCertFile in \.yo-rc\.json: ".*c\.pem" is outside the stack, .*--tls-cert-file PATH/);
    expect(cli([dest, '--tls-cert-file', cert, '--tls-key-file', key], { cwd: work }).status).toBe(0);
    expect(existsSync(path.join(dest, 'local/tls/tls.crt'))).toBe(true);
  });
});

describe('file answers inside the stack', () => {
  /** A folder with a certificate and key in certs/, which becomes the stack. */
  function withCertsInside(): { work: string; dest: string } {
    const work = tempDir('bpd-inside-');
    const dest = path.join(work, 'stack');
    mkdirSync(path.join(dest, 'certs'), { recursive: true });
    selfSignedPair(path.join(dest, 'certs'));
    return { work, dest };
  }

  it('are stored relative to the stack, in .yo-rc.json and in the record', () => {
    const { work, dest } = withCertsInside();
    const r = cli([dest, ...TLS_ARGS('stack/certs/c.pem', path.join(dest, 'certs/k.pem'))], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(stored(dest)).toMatchObject({ tlsCertFile: 'certs/c.pem', tlsKeyFile: 'certs/k.pem' });
    expect(recordCopies(dest)).toEqual({ 'local/tls/tls.crt': { source: 'certs/c.pem' }, 'local/tls/tls.key': { source: 'certs/k.pem' } });
    expect(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8')).not.toContain(work);
  });

  it('are stored relative also when the stack is reached through a linked folder and the files by their real path', () => {
    const { work, dest } = withCertsInside();
    const alias = path.join(tempDir('bpd-alias-'), 'work');
    symlinkSync(work, alias);
    const r = cli([path.join(alias, 'stack'), ...TLS_ARGS(path.join(dest, 'certs/c.pem'), path.join(dest, 'certs/k.pem'))], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(stored(dest)).toMatchObject({ tlsCertFile: 'certs/c.pem', tlsKeyFile: 'certs/k.pem' });
  });

  it('are read again by a regeneration without being given; a link inside the stack to a file outside is not', () => {
    const { work, dest } = withCertsInside();
    expect(cli([dest, ...TLS_ARGS('stack/certs/c.pem', 'stack/certs/k.pem')], { cwd: work }).status).toBe(0);
    renameSync(path.join(dest, 'local'), path.join(work, 'local.away'));
    expect(cli([dest], { cwd: work }).status).toBe(0);
    expect(existsSync(path.join(dest, 'local/tls/tls.crt'))).toBe(true);
    // A committed link that leads outside the stack is a file outside it.
    const outside = selfSignedPair(work, { cert: 'o.pem', key: 'ok.pem' });
    symlinkSync(outside.cert, path.join(dest, 'certs/linked.pem'));
    symlinkSync(outside.key, path.join(dest, 'certs/linked-key.pem'));
    expect(cli([dest, '--tls-cert-file', 'stack/certs/linked.pem', '--tls-key-file', 'stack/certs/linked-key.pem'], { cwd: work }).status).toBe(0);
    renameSync(path.join(dest, 'local'), path.join(work, 'local.away2'));
    const r = cli([dest], { cwd: work });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"certs\/linked\.pem" is outside the stack/);
  });
});
