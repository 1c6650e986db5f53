// Property: for random answer sets A and B and random edits (lines inserted anywhere or right next to
// a line the answers change, such a neighbour deleted, a file saved with CRLF), A -> edit -> B -> A
// keeps every line the person wrote, every merge on the way passes the corpus's judge (no lost line,
// no wrong merge, conflicts laid out so that one side gives that side), and regenerating twice in a
// row never changes anything the second time.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { generate } from '../src/library.js';
import { MARKERS } from '../src/update/merge.js';
import { parseBases } from '../src/update/record.js';
// @ts-expect-error: a plain .mjs module shared with scripts/merge-corpus.mjs, without types
import { judge } from '../scripts/merge-corpus-lib.mjs';
import { cleanupTempDirs, snapshot, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const answersArb: fc.Arbitrary<Partial<Answers>> = fc.record({
  projectName: fc.constantFrom('bindplane', 'demo', 'acme-obs'),
  instances: fc.integer({ min: 1, max: 9 }),
  eventBus: fc.constantFrom('kafka', 'nats', 'pubsub') as fc.Arbitrary<Answers['eventBus']>,
  kafkaBrokers: fc.constantFrom(1, 3),
  pubsubProjectId: fc.constant('demo-project'),
  tls: fc.constantFrom('none', 'selfSigned') as fc.Arbitrary<Answers['tls']>,
  transformAgents: fc.integer({ min: 0, max: 3 }),
  demoAgents: fc.integer({ min: 0, max: 3 }),
  httpPort: fc.constantFrom(3001, 8443),
  postgresMaxConnections: fc.constantFrom(50, 100),
});

/**
 * An edit of a generated file: a line of the person's after line `at` (modulo the file's length);
 * one directly above or below the `at`-th line that holds an answer's value; that line's upper
 * neighbour deleted; or the whole file saved with Windows line endings.
 */
const editArb = fc.record({
  kind: fc.constantFrom('insert', 'insert-above', 'insert-below', 'delete-above', 'crlf'),
  file: fc.nat(),
  at: fc.nat(),
  id: fc.integer({ min: 1000, max: 9999 }),
});
type Edit = { kind: string; at: number; id: number };

/** Lines that carry an answer's value: the ones answer changes rewrite. */
const ANSWER_LINE = /bindplane-\d|transform-agent|demo|listen |3001|8443|ssl|nats|kafka|pubsub|image: |acme-obs|localhost:/;

/** Applies an edit; returns the line the person wrote, if any. */
function applyEdit(lines: string[], e: Edit): string | undefined {
  const line = `# edit ${e.id} by the person`;
  if (e.kind === 'crlf') {
    for (let i = 0; i < lines.length; i++) if (!lines[i]!.endsWith('\r') && (i < lines.length - 1 || lines[i] !== '')) lines[i] += '\r';
    return undefined;
  }
  const answerLines = lines.flatMap((l, i) => (ANSWER_LINE.test(l) ? [i] : []));
  if (e.kind === 'insert' || answerLines.length === 0) {
    lines.splice((e.at % (lines.length - 1)) + 1, 0, line);
    return line;
  }
  const i = answerLines[e.at % answerLines.length]!;
  if (e.kind === 'delete-above') {
    if (i > 0) lines.splice(i - 1, 1);
    return undefined;
  }
  lines.splice(e.kind === 'insert-above' ? i : i + 1, 0, line);
  return line;
}

/** Checks every merge the run made with the corpus's judge: yours and base from before, theirs (the new base) from after. */
function judgeRun(dir: string, before: Map<string, string>, bases: Map<string, string>): void {
  const after = parseBases(readFileSync(path.join(dir, '.bindplane-distributed/base.txt'), 'utf8'));
  for (const f of TRACKED) {
    const yours = before.get(f);
    const base = bases.get(f);
    const theirs = after.get(f);
    if (yours === undefined || base === undefined || theirs === undefined || yours === base || base === theirs) continue;
    const result = readFileSync(path.join(dir, f), 'utf8');
    expect(judge({ yours, base, theirs, result, markers: MARKERS }), f).toEqual({ lost: [], wrong: [], layout: [] });
  }
}

const TRACKED = [
  'docker-compose.yml',
  'bindplane/bindplane.env',
  'nginx/nginx.conf',
  'prometheus/prometheus.yml',
  'prometheus/rules/bindplane.yml',
  'Makefile',
  'README.md',
  '.gitignore',
];

/** Resolves every conflict by keeping the person's side, as someone protective of their edits would. */
function keepYours(text: string): string {
  return text.replace(
    new RegExp(`^${MARKERS.ours.replace(/[()]/g, '\\$&')}\\r?\\n([^]*?)^=======\\r?\\n[^]*?^${MARKERS.theirs.replace(/[()]/g, '\\$&')}\\r?\\n`, 'gm'),
    '$1',
  );
}

async function regenerate(dir: string, answers: Partial<Answers>): Promise<void> {
  const before = new Map(TRACKED.flatMap((f) => (existsSync(path.join(dir, f)) ? [[f, readFileSync(path.join(dir, f), 'utf8')] as const] : [])));
  const bases = parseBases(readFileSync(path.join(dir, '.bindplane-distributed/base.txt'), 'utf8'));
  const r = await generate(dir, answers);
  judgeRun(dir, before, bases);
  for (const c of r.conflicts) writeFileSync(path.join(dir, c), keepYours(readFileSync(path.join(dir, c), 'utf8')));
}

describe('regeneration properties', () => {
  it('A -> edits -> B -> A keeps every line the person wrote; a second run changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(answersArb, answersArb, fc.array(editArb, { minLength: 1, maxLength: 4 }), async (a, b, edits) => {
        const dir = path.join(tempDir('bpd-prop-'), 'stack');
        expect((await generate(dir, a)).exitCode).toBe(0);
        const written: { file: string; line: string }[] = [];
        for (const e of edits) {
          const file = TRACKED[e.file % TRACKED.length]!;
          const p = path.join(dir, file);
          const lines = readFileSync(p, 'utf8').split('\n');
          const line = applyEdit(lines, e);
          writeFileSync(p, lines.join('\n'));
          if (line) written.push({ file, line });
        }
        // A later edit may delete a line an earlier one wrote: only lines in the files are the person's.
        const kept = written.filter((w) => readFileSync(path.join(dir, w.file), 'utf8').includes(w.line));
        const savedCrlf = TRACKED.filter((f) => !/(^|[^\r])\n/.test(readFileSync(path.join(dir, f), 'utf8')));
        await regenerate(dir, b);
        await regenerate(dir, a);
        for (const w of kept) {
          const p = path.join(dir, w.file);
          expect(existsSync(p), w.file).toBe(true);
          expect(readFileSync(p, 'utf8'), `${w.file} lost "${w.line}"`).toContain(w.line);
        }
        // A file the person keeps in CRLF stays in CRLF, whatever the generator changed in it.
        for (const f of savedCrlf) expect(readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/(^|[^\r])\n/);
        const before = snapshot(dir);
        const again = await generate(dir, a);
        expect(again.changes.filter((c) => c.action !== 'keep')).toEqual([]);
        expect([...snapshot(dir).entries()]).toEqual([...before.entries()]);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('regenerating with untouched files always lands exactly on the render of the new answers', async () => {
    await fc.assert(
      fc.asyncProperty(answersArb, answersArb, async (a, b) => {
        const dir = path.join(tempDir('bpd-prop-'), 'stack');
        await generate(dir, a);
        await generate(dir, b);
        const direct = path.join(tempDir('bpd-prop-'), 'stack');
        // The organization's name is taken once (it names what the first start created), as the folder's project name is.
        await generate(direct, { ...a, ...b, organizationName: b.organizationName ?? a.organizationName ?? a.projectName ?? 'stack' });
        const x = snapshot(dir);
        const y = snapshot(direct);
        for (const f of TRACKED) expect(x.get(f)?.content, f).toBe(y.get(f)?.content);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
