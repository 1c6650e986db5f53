// What the stack folder holds is data, never orders (issue 20): a crafted record, journal, link or
// stored answer cannot make the generator delete, read or write outside what it owns. Each case
// reproduces a finding of the security review through the real CLI, and checks that nothing moved.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, cli, generateStack, snapshot, tempDir } from './helpers/stack.js';

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
