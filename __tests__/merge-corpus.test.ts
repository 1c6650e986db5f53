// The merge corpus (scripts/merge-corpus-lib.mjs): realistic hand edits x answer changes. Every pair
// keeps every line, merges right, lays conflicts out right, conflicts only where git does too, and
// never in the issue's listed cases; every clean merge is valid for its tool.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module shared with scripts/merge-corpus.mjs, without types
import * as corpus from '../scripts/merge-corpus-lib.mjs';
import { generate } from '../src/library.js';
import { MARKERS, mergeThreeWay } from '../src/update/merge.js';
import { cleanupTempDirs, tempDir } from './helpers/stack.js';
import {
  parseYamlStrict,
  runTool,
  validateComposeSchema,
  validateComposeV1,
  validateMake,
  validateNginx,
  validatePrometheus,
  YAMLLINT_CONFIG,
} from './helpers/validators.js';

interface Pair {
  edit: { name: string; file: string; listed?: boolean; overlaps?: string[] };
  change: { name: string };
  yours: string;
  base: string;
  theirs: string;
  ours: { text: string; conflicts: number };
  git: { text: string; conflicts: number };
  verdict: { lost: string[]; wrong: string[]; layout: string[] };
  dir: string;
}

let root = '';
let pairs: Pair[] = [];
const label = (p: Pair) => `${p.edit.name} x ${p.change.name}`;

beforeAll(async () => {
  ({ root, pairs } = await corpus.runCorpus({ generate, merge: mergeThreeWay, markers: MARKERS }));
}, 120_000);
afterAll(() => {
  if (root) cleanupTempDirs();
});

describe('the merge corpus', () => {
  it('is big enough: at least 30 kinds of hand edit x 10 answer changes', () => {
    expect(corpus.EDITS.length).toBeGreaterThanOrEqual(30);
    expect(corpus.CHANGES.length).toBeGreaterThanOrEqual(10);
    expect(pairs.length).toBeGreaterThan(250);
  });

  it('loses no line, merges nothing wrong, and lays every conflict out so that one side gives that side', () => {
    const bad = pairs.flatMap((p) => Object.entries(p.verdict).flatMap(([k, v]) => (v.length ? [`${label(p)}: ${k}: ${v.slice(0, 3).join('; ')}`] : [])));
    expect(bad).toEqual([]);
  });

  it('conflicts only where git merge-file does too, never in the listed cases, and always where edit and change overlap', () => {
    expect(pairs.filter((p) => p.ours.conflicts > 0 && p.git.conflicts === 0).map(label)).toEqual([]);
    expect(pairs.filter((p) => corpus.isListed(p) && p.ours.conflicts > 0).map(label)).toEqual([]);
    const overlaps = pairs.filter((p) => corpus.isOverlap(p));
    expect(overlaps.length).toBeGreaterThan(0);
    expect(overlaps.filter((p) => p.ours.conflicts === 0).map(label)).toEqual([]);
    const s = corpus.summarize(pairs);
    // Most of git's conflicts are gone.
    expect(s.conflicts).toBeLessThan(s.gitConflicts / 3);
  });

  it('the judge itself catches a lost line, a line added twice, a wrong order and a conflict laid out wrong', () => {
    const base = 'a\nb\nc\nd\n';
    const yours = 'a\nmine\nb\nc\nd\n';
    const theirs = 'a\nb\nc\nD\n';
    const j = (result: string) => corpus.judge({ yours, base, theirs, result, markers: MARKERS });
    expect(j('a\nmine\nb\nc\nD\n')).toEqual({ lost: [], wrong: [], layout: [] });
    expect(j('a\nb\nc\nD\n').lost.length).toBeGreaterThan(0);
    expect(j('a\nmine\nb\nc\nD\nD\n').wrong.length).toBeGreaterThan(0);
    expect(j('a\nb\nmine\nc\nD\n').wrong.length).toBeGreaterThan(0);
    expect(j('a\nmine\nb\nc\nd\nD\n').wrong.length).toBeGreaterThan(0);
    // A block whose "yours" side misses the person's line, which sits outside the block instead: keeping yours doubles it.
    const m = MARKERS;
    expect(j(`a\nmine\n${m.ours}\nmine\nb\nc\nd\n${m.sep}\nb\nc\nD\n${m.theirs}\n`).layout.length).toBeGreaterThan(0);
    expect(j('a\r\nmine\r\nb\r\nc\r\nD\r\n').wrong.length).toBeGreaterThan(0); // endings the person did not write
  });

  it('every clean merge is valid for its tool', async () => {
    const clean = pairs.filter((p) => p.ours.conflicts === 0);
    const yamlDir = path.join(tempDir('bpd-corpus-yaml-'), 'files');
    for (const sub of ['lf', 'crlf']) mkdirSync(path.join(yamlDir, sub), { recursive: true });
    const yamlNames = new Map<string, string>();
    const problems: string[] = [];
    // docker-compose v1 takes a second or two a run: it checks the first clean merge of each listed
    // edit of docker-compose.yml or bindplane.env (the cases the new rules merge); the compose-spec
    // schema, strict YAML and yamllint check every merged docker-compose.yml.
    const v1Done = new Set<string>();
    const jobs = clean.map((p, i) => async () => {
      const file = p.edit.file;
      if (/\.ya?ml$/.test(file)) {
        // A file the person saved with CRLF breaks yamllint's new-lines rule by itself: those are checked without it.
        const name = `${i}-${path.basename(file)}`;
        writeFileSync(path.join(yamlDir, p.ours.text.includes('\r\n') ? 'crlf' : 'lf', name), p.ours.text);
        yamlNames.set(name, label(p));
      }
      const needsDir = [
        'docker-compose.yml',
        'bindplane/bindplane.env',
        'nginx/nginx.conf',
        'prometheus/prometheus.yml',
        'prometheus/rules/bindplane.yml',
        'Makefile',
      ].includes(file);
      if (!needsDir) return;
      const dir = path.join(tempDir('bpd-corpus-v-'), 'stack');
      cpSync(p.dir, dir, { recursive: true });
      writeFileSync(path.join(dir, file), p.ours.text);
      try {
        if (file === 'docker-compose.yml' || file === 'bindplane/bindplane.env') {
          if (file === 'docker-compose.yml') {
            parseYamlStrict(p.ours.text, file);
            validateComposeSchema(dir);
          } else if (!p.ours.text.split(/\r?\n/).every((l) => l === '' || l.startsWith('#') || /^[A-Z_][A-Z0-9_]*=/.test(l))) {
            throw new Error('a line that is neither KEY=value nor a comment');
          }
          if (p.edit.listed && !v1Done.has(p.edit.name)) {
            v1Done.add(p.edit.name);
            await validateComposeV1(dir);
          }
        } else if (file === 'nginx/nginx.conf') await validateNginx(dir);
        else if (file.startsWith('prometheus/')) await validatePrometheus(dir);
        else if (file === 'Makefile') await validateMake(dir);
      } catch (e) {
        problems.push(`${label(p)}: ${(e as Error).message}`);
      }
    });
    // Two at a time: the machine's two cores.
    const queue = [...jobs];
    await Promise.all(
      [0, 1].map(async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await job();
      }),
    );
    const crlfConfig = YAMLLINT_CONFIG.replace(/\}\}$/, ', new-lines: disable}}');
    expect(crlfConfig).not.toBe(YAMLLINT_CONFIG);
    for (const [sub, config] of [
      ['lf', YAMLLINT_CONFIG],
      ['crlf', crlfConfig],
    ] as const) {
      const r = await runTool('yamllint', ['--strict', '-f', 'parsable', '-d', config, path.join(yamlDir, sub)]);
      if (r.code !== 0)
        problems.push(
          `yamllint:\n${r.stdout
            .split('\n')
            .map((l) => l.replace(/^.*\/(\d+-[^/:]+):/, (_, n: string) => `${yamlNames.get(n)}: `))
            .join('\n')}`,
        );
    }
    expect(problems).toEqual([]);
    expect(v1Done.size).toBeGreaterThanOrEqual(5);
  }, 180_000);
});
