// Property: for random answer sets A and B and random edits, A -> edit -> B -> A keeps every line the
// person wrote, and regenerating twice in a row never changes anything the second time.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { generate } from '../src/index.js';
import { MARKERS } from '../src/update/merge.js';
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

/** An edit: after line `at` (modulo the file's length) of a generated file, a line of the person's. */
const editArb = fc.record({ file: fc.nat(), at: fc.nat(), id: fc.integer({ min: 1000, max: 9999 }) });

const TRACKED = ['docker-compose.yml', 'bindplane/bindplane.env', 'nginx/nginx.conf', 'prometheus/prometheus.yml', 'prometheus/rules/bindplane.yml', 'Makefile', 'README.md', '.gitignore'];

/** Resolves every conflict by keeping the person's side, as someone protective of their edits would. */
function keepYours(text: string): string {
  return text.replace(new RegExp(`^${MARKERS.ours.replace(/[()]/g, '\\$&')}\\n([^]*?)^=======\\n[^]*?^${MARKERS.theirs.replace(/[()]/g, '\\$&')}\\n`, 'gm'), '$1');
}

async function regenerate(dir: string, answers: Partial<Answers>): Promise<void> {
  const r = await generate(dir, answers);
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
          const line = `# edit ${e.id} by the person`;
          lines.splice((e.at % (lines.length - 1)) + 1, 0, line);
          writeFileSync(p, lines.join('\n'));
          written.push({ file, line });
        }
        await regenerate(dir, b);
        await regenerate(dir, a);
        for (const w of written) {
          const p = path.join(dir, w.file);
          expect(existsSync(p), w.file).toBe(true);
          expect(readFileSync(p, 'utf8'), `${w.file} lost "${w.line}"`).toContain(w.line);
        }
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
        await generate(direct, { ...a, ...b });
        const x = snapshot(dir);
        const y = snapshot(direct);
        for (const f of TRACKED) expect(x.get(f)?.content, f).toBe(y.get(f)?.content);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
