// Issue 20, row 3: a file answer stored in .yo-rc.json that points outside the stack is read again
// only when it is given on this run or confirmed at the prompt; file answers inside the stack are
// stored relative to it, also when the stack is reached through a link.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { askQuestions, readAgainQuestion, type Asker } from '../src/answers/flow.js';
import { specOf } from '../src/answers/schema.js';
import { filePathOf, storedFilePath } from '../src/answers/stack-paths.js';
import { storedLayer } from '../src/run/index.js';
import { CLI, cleanupTempDirs, cli, selfSignedPair, tempDir } from './helpers/stack.js';
import { KEY, Terminal } from './helpers/pty.js';

afterAll(cleanupTempDirs);

/** A folder under /var/tmp: another top folder than the stacks' (under /tmp), as a home or /etc is. */
const otherTops: string[] = [];
afterAll(() => otherTops.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function otherTop(prefix: string): string {
  const d = mkdtempSync(path.join('/var/tmp', prefix));
  otherTops.push(d);
  return d;
}

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
    // Stored relative to the stack (they share /tmp), and confirmed as stored.
    expect(path.resolve(dest, '../c.pem')).toBe(cert);
    expect(await askQuestions(yes, { dest, layers: [], stored: storedLayer(dest) })).toEqual({ tlsCertFile: '../c.pem', tlsKeyFile: '../k.pem' });
    expect(path.resolve(dest, '../k.pem')).toBe(key);
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
    await t.waitFor(readAgainQuestion(specOf('tlsCertFile')!, dest, '../c.pem'));
    expect(t.screen).toContain(`read "../c.pem" (${cert}) again?`);
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
    expect(r.stderr).toMatch(/tlsCertFile in \.yo-rc\.json: "\.\.\/c\.pem" \(\/tmp\/.*\/c\.pem\) is outside the stack, .*--tls-cert-file PATH/);
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
    expect(r.stderr).toContain(`"certs/linked.pem" (${outside.cert}) is outside the stack`);
  });
});

describe('how a file answer outside the stack is written down (row 13: no absolute home path in committed files)', () => {
  it('relative where the stack and the file share a top folder, ~/ under the home folder, absolute only for a system path', () => {
    const home = '/home/alice';
    expect(storedFilePath('/home/alice/stacks/s', '/home/alice/certs/c.pem', home)).toBe('../../certs/c.pem');
    expect(storedFilePath('/srv/stacks/s', '/home/alice/certs/c.pem', home)).toBe('~/certs/c.pem');
    expect(storedFilePath('/srv/stacks/s', '/srv/certs/c.pem', home)).toBe('../../certs/c.pem');
    expect(storedFilePath('/home/alice/s', '/etc/ssl/c.pem', home)).toBe('/etc/ssl/c.pem');
    expect(storedFilePath('/srv/s', '/srv/s/certs/c.pem', home)).toBe('certs/c.pem');
    // A home of / (a service account's) makes nothing home-relative.
    expect(storedFilePath('/srv/s', '/etc/c.pem', '/')).toBe('/etc/c.pem');
    // Read back, each names the same file.
    for (const [dest, abs] of [
      ['/home/alice/stacks/s', '/home/alice/certs/c.pem'],
      ['/srv/stacks/s', '/home/alice/certs/c.pem'],
      ['/home/alice/s', '/etc/ssl/c.pem'],
    ] as const)
      expect(filePathOf(dest, storedFilePath(dest, abs, home), home)).toBe(abs);
  });

  it('a file under the home folder, outside a stack that is not: ~/ in .yo-rc.json and the record, read back from there', () => {
    const home = otherTop('bpd-home-');
    mkdirSync(path.join(home, 'certs'));
    const { cert, key } = selfSignedPair(path.join(home, 'certs'));
    const work = tempDir('bpd-homefile-');
    const dest = path.join(work, 'stack');
    const env = { HOME: home };
    const r = cli([dest, ...TLS_ARGS(cert, key)], { cwd: work, env });
    expect(r.status, r.stderr).toBe(0);
    expect(stored(dest)).toMatchObject({ tlsCertFile: '~/certs/c.pem', tlsKeyFile: '~/certs/k.pem' });
    expect(recordCopies(dest)).toEqual({ 'local/tls/tls.crt': { source: '~/certs/c.pem' }, 'local/tls/tls.key': { source: '~/certs/k.pem' } });
    for (const f of ['.yo-rc.json', '.bindplane-distributed/record.json']) expect(readFileSync(path.join(dest, f), 'utf8')).not.toContain(home);
    // Given again as written down (an answers file or a prompt does not expand ~ as a shell does), it is the same file.
    renameSync(path.join(dest, 'local'), path.join(work, 'local.away'));
    const again = cli([dest, '--tls-cert-file', '~/certs/c.pem', '--tls-key-file', '~/certs/k.pem'], { cwd: work, env });
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(path.join(dest, 'local/tls/tls.crt'), 'utf8')).toBe(readFileSync(cert, 'utf8'));
  });

  it('a system path stays absolute; a stack that stored an absolute home path stores it as ~/ at its next run, nothing read', () => {
    const home = otherTop('bpd-home-');
    const system = otherTop('bpd-etc-');
    const { cert, key } = selfSignedPair(system);
    const work = tempDir('bpd-sysfile-');
    const dest = path.join(work, 'stack');
    const env = { HOME: home };
    expect(cli([dest, ...TLS_ARGS(cert, key)], { cwd: work, env }).status).toBe(0);
    expect(stored(dest)).toMatchObject({ tlsCertFile: cert, tlsKeyFile: key });
    // What an older generator wrote: the home path itself. The copies in local/ stand in; the files are not read.
    const yo = JSON.parse(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8'));
    const inHome = path.join(home, 'c.pem');
    yo['generator-bindplane-distributed'].tlsCertFile = inHome;
    writeFileSync(path.join(dest, '.yo-rc.json'), JSON.stringify(yo, null, 2) + '\n');
    const r = cli([dest], { cwd: work, env });
    expect(r.status, r.stderr).toBe(0);
    expect(stored(dest).tlsCertFile).toBe('~/c.pem');
    expect(readFileSync(path.join(dest, '.yo-rc.json'), 'utf8')).not.toContain(home);
    expect(existsSync(inHome)).toBe(false);
  });
});
