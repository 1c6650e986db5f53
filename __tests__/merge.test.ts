// The merge's rules, one by one: line endings, changes next to each other, equal-line placement,
// and the layout of conflict blocks; then random edits of both sides, judged as the corpus is.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module shared with scripts/merge-corpus.mjs, without types
import { judge } from '../scripts/merge-corpus-lib.mjs';
import { dominantEol, joinLines, splitLines } from '../src/update/lines.js';
import {
  collide,
  commonEnds,
  groupHunks,
  hasConflictMarkers,
  hunksOf,
  keptCopies,
  lowest,
  MARKERS,
  mergeThreeWay,
  placeApart,
  slides,
  type Hunk,
} from '../src/update/merge.js';
import { cleanupTempDirs, generateStack } from './helpers/stack.js';

const text = (...lines: string[]) => lines.map((l) => `${l}\n`).join('');
const crlf = (s: string) => s.replace(/\n/g, '\r\n');
const hunk = (side: Hunk['side'], start: number, end: number, n = 1): Hunk => ({
  side,
  start,
  end,
  at: start,
  lines: Array.from({ length: n }, (_, i) => ({ text: `${side}${i}`, eol: '\n' })),
});

/** Keeps one side in every conflict block. */
function take(merged: string, side: 'yours' | 'theirs'): string {
  const out: string[] = [];
  let state: 'out' | 'yours' | 'theirs' = 'out';
  for (const l of merged.split(/(?<=\n)/)) {
    const bare = l.replace(/\r?\n$/, '');
    if (bare === MARKERS.ours) state = 'yours';
    else if (bare === MARKERS.sep && state === 'yours') state = 'theirs';
    else if (bare === MARKERS.theirs && state === 'theirs') state = 'out';
    else if (state === 'out' || state === side) out.push(l);
  }
  return out.join('');
}

describe('line endings', () => {
  it('splits and joins lines with their own endings, a missing last one included', () => {
    const s = 'a\r\nb\nc';
    expect(splitLines(s)).toEqual([
      { text: 'a', eol: '\r\n' },
      { text: 'b', eol: '\n' },
      { text: 'c', eol: '' },
    ]);
    expect(joinLines(splitLines(s), '\n')).toBe(s);
    expect(
      joinLines(
        [
          { text: 'a', eol: '' },
          { text: 'b', eol: '\n' },
        ],
        '\r\n',
      ),
    ).toBe('a\r\nb\n');
  });

  it('the ending most lines have is the one new lines get (LF on a tie)', () => {
    expect(dominantEol(splitLines('a\r\nb\r\nc\n'))).toBe('\r\n');
    expect(dominantEol(splitLines('a\r\nb\n'))).toBe('\n');
  });

  it('merges a file saved with CRLF on its text, and writes CRLF back', () => {
    const base = text('one', 'two', 'three', 'four');
    const theirs = text('one', 'TWO', 'three', 'four', 'five');
    const r = mergeThreeWay(crlf(base), base, theirs);
    expect(r).toEqual({ text: crlf(theirs), conflicts: 0 });
  });

  it("keeps each kept line's ending in a mixed file; lines brought in get the ending most lines have", () => {
    const base = text('a', 'b', 'c', 'd');
    const yours = 'a\nb\npasted\r\nc\nd\n';
    const theirs = text('a', 'b', 'c', 'D', 'e');
    expect(mergeThreeWay(yours, base, theirs).text).toBe('a\nb\npasted\r\nc\nD\ne\n');
  });

  it('keeps a missing final newline the person left, and finds markers in a CRLF file', () => {
    const base = text('a', 'b', 'c');
    expect(mergeThreeWay('a\nb\nc', base, text('A', 'b', 'c')).text).toBe('A\nb\nc');
    const r = mergeThreeWay(crlf(text('a', 'B1', 'c')), base, text('a', 'B2', 'c'));
    expect(r.conflicts).toBe(1);
    expect(r.text).toContain(`\r\n${MARKERS.sep}\r\n`);
    expect(hasConflictMarkers(r.text)).toBe(true);
  });
});

describe('which changes collide', () => {
  it('changes that share a base line, an insertion inside a change, two insertions at one place', () => {
    expect(collide(hunk('yours', 2, 4), hunk('theirs', 3, 5))).toBe(true);
    expect(collide(hunk('yours', 3, 3), hunk('theirs', 2, 5))).toBe(true);
    expect(collide(hunk('yours', 3, 3), hunk('theirs', 3, 3))).toBe(true);
  });

  it('touching changes do not: an insertion at either end of a change, changes of neighbouring lines', () => {
    expect(collide(hunk('yours', 2, 2), hunk('theirs', 2, 4))).toBe(false);
    expect(collide(hunk('yours', 4, 4), hunk('theirs', 2, 4))).toBe(false);
    expect(collide(hunk('yours', 2, 3), hunk('theirs', 3, 4))).toBe(false);
    expect(collide(hunk('yours', 1, 2, 0), hunk('theirs', 2, 3))).toBe(false);
  });

  it('groups colliding hunks in chains, in base order, an insertion before a change at its place', () => {
    const groups = groupHunks([
      hunk('theirs', 4, 6),
      hunk('yours', 2, 5),
      hunk('yours', 6, 6),
      hunk('theirs', 6, 6),
      hunk('yours', 0, 0),
      hunk('theirs', 0, 1),
    ]);
    expect(groups.map((g) => g.map((h) => `${h.side[0]}${h.start}-${h.end}`))).toEqual([['y0-0'], ['t0-1'], ['y2-5', 't4-6'], ['y6-6', 't6-6']]);
  });

  it("the person's copy of each base line they kept, by base index", () => {
    const Y = splitLines('a\r\nX\r\nc\nd\n');
    const copies = keptCopies(hunksOf(['a', 'b', 'c', 'd'], Y, 'yours'), 4, Y);
    expect(copies).toEqual([{ text: 'a', eol: '\r\n' }, undefined, { text: 'c', eol: '\n' }, { text: 'd', eol: '\n' }]);
  });

  it('common lines at both ends of two texts', () => {
    const l = (...t: string[]) => t.map((x) => ({ text: x, eol: '\n' as const }));
    expect(commonEnds(l('a', 'b', 'c'), l('a', 'x', 'c'))).toEqual({ head: 1, tail: 1 });
    expect(commonEnds(l('a', 'a'), l('a'))).toEqual({ head: 1, tail: 0 });
  });
});

describe('changes next to each other merge', () => {
  const base = text('# header of demo', 'worker 1;', 'listen 3001;', 'server_name _;', 'end');

  it('an insertion above a line the generator changes', () => {
    const r = mergeThreeWay(
      text('# mine', '# header of demo', 'worker 1;', 'listen 3001;', 'server_name _;', 'end'),
      base,
      text('# header of acme', 'worker 1;', 'listen 3001;', 'server_name _;', 'end'),
    );
    expect(r).toEqual({ text: text('# mine', '# header of acme', 'worker 1;', 'listen 3001;', 'server_name _;', 'end'), conflicts: 0 });
  });

  it('an insertion below a line the generator changes, and text appended after changed last lines', () => {
    const yours = text('# header of demo', 'worker 1;', 'listen 3001;', 'keepalive 75s;', 'server_name _;', 'end', 'appended');
    const theirs = text('# header of demo', 'worker 1;', 'listen 8443;', 'server_name _;', 'END');
    expect(mergeThreeWay(yours, base, theirs)).toEqual({
      text: text('# header of demo', 'worker 1;', 'listen 8443;', 'keepalive 75s;', 'server_name _;', 'END', 'appended'),
      conflicts: 0,
    });
  });

  it('a deletion directly above a line the generator changes, and a change of the neighbouring line', () => {
    const theirs = text('# header of demo', 'worker 1;', 'listen 8443;', 'server_name _;', 'end');
    expect(mergeThreeWay(text('# header of demo', 'listen 3001;', 'server_name _;', 'end'), base, theirs).text).toBe(
      text('# header of demo', 'listen 8443;', 'server_name _;', 'end'),
    );
    expect(mergeThreeWay(text('# header of demo', 'worker 1;', 'listen 3001;', 'server_name web;', 'end'), base, theirs).text).toBe(
      text('# header of demo', 'worker 1;', 'listen 8443;', 'server_name web;', 'end'),
    );
  });

  it('still conflicts where the person changed a line the generator changes, or both insert at one place', () => {
    const theirs = text('# header of demo', 'worker 1;', 'listen 8443;', 'server_name _;', 'end');
    expect(mergeThreeWay(text('# header of demo', 'worker 1;', 'listen 3001 ssl;', 'server_name _;', 'end'), base, theirs).conflicts).toBe(1);
    expect(
      mergeThreeWay(
        text('# header of demo', 'worker 1;', 'listen 3001;', 'server_name _;', 'end', 'mine'),
        base,
        text('# header of demo', 'worker 1;', 'listen 3001;', 'server_name _;', 'end', 'generated'),
      ).conflicts,
    ).toBe(1);
  });
});

describe('insertions and deletions among equal lines', () => {
  const B = ['x', '', 'a', 'b', '', 'c'];
  const lines = (...t: string[]) => t.map((x) => ({ text: x, eol: '\n' as const }));

  it('lists the placements that give the same text, nearest first', () => {
    // theirs: a block "n" and a blank inserted after the first blank = a blank and "n" before it.
    const T = lines('x', '', 'n', '', 'a', 'b', '', 'c');
    const [h] = hunksOf(B, T, 'theirs');
    expect([h!.start, h!.lines.map((l) => l.text)]).toEqual([2, ['n', '']]);
    expect(slides(h!, B, T, 0, B.length).map((s) => [s.start, s.lines.map((l) => l.text)])).toEqual([[1, ['', 'n']]]);
    expect(slides({ ...h!, start: 2, end: 3, lines: [] }, B, T, 0, B.length)).toEqual([]);
  });

  it('moves a hunk that collides to an equivalent place that does not, and merges', () => {
    const yours = text('x', 'c'); // the person removed the blank, a, b and the next blank
    const theirs = text('x', '', 'n', '', 'a', 'b', '', 'c');
    const hy = hunksOf(B, splitLines(yours), 'yours');
    const ht = hunksOf(B, splitLines(theirs), 'theirs');
    expect(ht.some((h) => hy.some((y) => collide(h, y)))).toBe(true);
    const moved = placeApart(ht, hy, B, splitLines(theirs));
    expect(moved.some((h) => hy.some((y) => collide(h, y)))).toBe(false);
    expect(mergeThreeWay(yours, text(...B), theirs)).toEqual({ text: text('x', '', 'n', 'c'), conflicts: 0 });
  });
});

describe('look-alike blocks', () => {
  // Two near-identical service blocks; the generator removes one of them.
  const block = (n: number) => [`  node-${n}:`, '    image: x', '    depends_on:', '      db:', '        condition: service_healthy', ''];
  const B = [...block(1), ...block(2), 'volumes:'];
  const theirs = text(...block(1), 'volumes:');

  it('reads a removed block as the last one, as git does', () => {
    const T = splitLines(theirs);
    const [h] = lowest(hunksOf(B, T, 'theirs'), B, T);
    expect([h!.start, h!.end]).toEqual([6, 12]);
  });

  it('an edit inside the block the generator removes conflicts; one inside the block that stays merges into it', () => {
    const inRemoved = [...block(1), ...block(2)];
    inRemoved.splice(10, 1); // the person drops node-2's condition
    expect(mergeThreeWay(text(...inRemoved, 'volumes:'), text(...B), theirs).conflicts).toBe(1);
    const inKept = [...block(1), ...block(2)];
    inKept.splice(4, 1); // node-1's condition
    expect(mergeThreeWay(text(...inKept, 'volumes:'), text(...B), theirs)).toEqual({
      text: text(...block(1).filter((_, i) => i !== 4), 'volumes:'),
      conflicts: 0,
    });
  });

  it('moves a colliding hunk across blank lines only', () => {
    // The person deletes lines 1-2; the generator inserts between them (lines "X" and a copy of line 1,
    // which read the same placed before line 1).
    const viaBlank = mergeThreeWay(text('a', 'd'), text('a', '', 'c', 'd'), text('a', '', 'X', '', 'c', 'd'));
    expect(viaBlank).toEqual({ text: text('a', '', 'X', 'd'), conflicts: 0 });
    const viaText = mergeThreeWay(text('a', 'd'), text('a', 'b', 'c', 'd'), text('a', 'b', 'X', 'b', 'c', 'd'));
    expect(viaText.conflicts).toBe(1);
  });
});

describe('conflict layout', () => {
  it('keeping one side in every block gives exactly that side, when the whole file differs', () => {
    const base = text('# demo', '', 'Three instances.', '', 'More text.');
    const yours = crlf(text('# demo', '', 'Three instances, and a note.', '', 'More text.'));
    const theirs = text('# demo', '', 'Five instances.', '', 'More text.');
    const r = mergeThreeWay(yours, base, theirs);
    expect(r.conflicts).toBe(1);
    expect(take(r.text, 'yours')).toBe(yours);
    expect(take(r.text, 'theirs')).toBe(crlf(theirs));
  });

  it("keeps lines both sides share outside the block, and the generator's clean changes in both takes", () => {
    const base = text('a', 'b', 'c', 'd', 'e', 'f');
    const yours = text('a', 'b', 'C1', 'd', 'e', 'f');
    const theirs = text('A', 'b', 'C2', 'd', 'e', 'f');
    const r = mergeThreeWay(yours, base, theirs);
    expect(r.text).toBe(`A\nb\n${MARKERS.ours}\nC1\n${MARKERS.sep}\nC2\n${MARKERS.theirs}\nd\ne\nf\n`);
    expect(take(r.text, 'yours')).toBe(text('A', 'b', 'C1', 'd', 'e', 'f'));
    expect(take(r.text, 'theirs')).toBe(theirs);
  });
});

describe('random edits of both sides', () => {
  afterAll(cleanupTempDirs);

  it("of generated files: no lost line, no wrong merge, conflicts laid out right (the corpus's judge)", async () => {
    const dir = await generateStack();
    const files = ['docker-compose.yml', 'nginx/nginx.conf', 'Makefile', 'README.md'].map((f) => readFileSync(path.join(dir, f), 'utf8'));
    // The generator's edits include copies of runs of lines (look-alike blocks, as more instances make).
    const op = (kinds: string[]) => fc.record({ kind: fc.constantFrom(...kinds), at: fc.nat(), n: fc.integer({ min: 1, max: 3 }), id: fc.nat(99) });
    const apply = (s: string, ops: { kind: string; at: number; n: number; id: number }[], who: string) => {
      const l = s.split('\n').slice(0, -1);
      for (const o of ops) {
        const i = o.at % l.length;
        if (o.kind === 'insert') l.splice(i, 0, ...Array.from({ length: o.n }, (_, k) => `${who} line ${o.id}.${k}`));
        else if (o.kind === 'delete') l.splice(i, o.n);
        else if (o.kind === 'change') l[i] = `${l[i]} # ${who} ${o.id}`;
        else l.splice(i, 0, ...l.slice(i, i + o.n));
      }
      return `${l.join('\n')}\n`;
    };
    fc.assert(
      fc.property(
        fc.nat(files.length - 1),
        fc.array(op(['insert', 'delete', 'change']), { minLength: 1, maxLength: 3 }),
        fc.array(op(['insert', 'delete', 'change', 'copy']), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (f, mine, gen, windows) => {
          const base = files[f]!;
          const yours = windows ? crlf(apply(base, mine, 'yours')) : apply(base, mine, 'yours');
          const theirs = apply(base, gen, 'generator');
          const result = mergeThreeWay(yours, base, theirs).text;
          expect(judge({ yours, base, theirs, result, markers: MARKERS })).toEqual({ lost: [], wrong: [], layout: [] });
        },
      ),
      { numRuns: 500 },
    );
  });
});
