// Three-way merge of a person's edits with a new render, line by line. node-diff3 diffs each side
// against the base; the rules on top decide which changes of the two sides collide:
// - lines are compared without their endings, and each line is written with the person's ending;
// - changes that touch no common base line merge, even when they are next to each other (git
//   conflicts there), because their base positions give the one order that keeps both;
// - insertions and deletions sit as low as they go among equal lines, as git places them, and move
//   across blank lines (only) when that keeps them apart from the other side's changes;
// - only changes that share a base line, or two insertions at the same place, conflict; the
//   conflict block holds each side's whole text for the span, so keeping one side gives that side.
import { diffIndices } from 'node-diff3';
import { dominantEol, joinLines, splitLines, type Line } from './lines.js';

export { MERGE_MARKERS as MARKERS } from '../facts/stack-files.js';
import { MERGE_MARKERS as MARKERS } from '../facts/stack-files.js';

export interface MergeOutcome {
  text: string;
  conflicts: number;
}

export type Side = 'yours' | 'theirs';

/** One side's change: base lines [start, end) replaced by `lines`, the side's lines from index `at` (start === end: an insertion). */
export interface Hunk {
  side: Side;
  start: number;
  end: number;
  at: number;
  lines: Line[];
}

/** The changes that turn `base` into `side`, from node-diff3's diff of the lines' texts. */
export function hunksOf(base: readonly string[], side: readonly Line[], name: Side): Hunk[] {
  return diffIndices(
    [...base],
    side.map((l) => l.text),
  ).map((d) => ({
    side: name,
    start: d.buffer1[0],
    end: d.buffer1[0] + d.buffer1[1],
    at: d.buffer2[0],
    lines: side.slice(d.buffer2[0], d.buffer2[0] + d.buffer2[1]),
  }));
}

/**
 * The other placements of a pure insertion or deletion that give the side the very same text
 * (the diff's choice among equal lines is arbitrary: a block inserted after a blank line is also
 * the block and a blank line inserted before it), nearest first, each within base lines [lo, hi].
 */
export function slides(h: Hunk, base: readonly string[], side: readonly Line[], lo: number, hi: number): Hunk[] {
  const insert = h.start === h.end;
  if (!insert && h.lines.length > 0) return [];
  const k = h.lines.length;
  const moved = (d: number): Hunk => ({ ...h, start: h.start + d, end: h.end + d, at: h.at + d, lines: side.slice(h.at + d, h.at + d + k) });
  const canUp = (c: Hunk) => c.start - 1 >= lo && (insert ? side[c.at + k - 1]!.text === base[c.start - 1] : base[c.start - 1] === base[c.end - 1]);
  const canDown = (c: Hunk) => c.end + 1 <= hi && (insert ? side[c.at]!.text === base[c.start] : base[c.start] === base[c.end]);
  const up: Hunk[] = [];
  for (let c = h; canUp(c);) up.push((c = moved(-(up.length + 1))));
  const down: Hunk[] = [];
  for (let c = h; canDown(c);) down.push((c = moved(down.length + 1)));
  const out: Hunk[] = [];
  for (let i = 0; i < Math.max(up.length, down.length); i++) out.push(...(up[i] ? [up[i]!] : []), ...(down[i] ? [down[i]!] : []));
  return out;
}

/** The bounds [lo, hi] within which hunk i of a side may move: at least one common line from its neighbours. */
function room(hunks: readonly Hunk[], i: number, baseLength: number): [number, number] {
  return [i > 0 ? hunks[i - 1]!.end + 1 : 0, i < hunks.length - 1 ? hunks[i + 1]!.start - 1 : baseLength];
}

/**
 * Every pure insertion and deletion moved as far down as it goes, as git places them: a list that
 * grows or shrinks at its end (instances, brokers, agents) then reads as blocks added or removed
 * after the last one, not as the last one's lines moved into a new block.
 */
export function lowest(hunks: readonly Hunk[], base: readonly string[], side: readonly Line[]): Hunk[] {
  const out = [...hunks];
  for (let i = out.length - 1; i >= 0; i--) {
    const [lo, hi] = room(out, i, base.length);
    const down = slides(out[i]!, base, side, lo, hi).filter((c) => c.start > out[i]!.start);
    if (down.length > 0) out[i] = down.at(-1)!;
  }
  return out;
}

/**
 * One side's hunks, each that collides with the other side's moved to an equivalent place where it
 * does not, if there is one across blank lines only: which of two blank lines a change took is
 * arbitrary, but moving across a line with text would choose between two meanings (which of two
 * look-alike blocks was removed), and that stays a conflict.
 */
export function placeApart(own: readonly Hunk[], other: readonly Hunk[], base: readonly string[], side: readonly Line[]): Hunk[] {
  const out = [...own];
  const clashes = (h: Hunk) => other.some((o) => collide(h, o));
  for (let i = 0; i < out.length; i++) {
    const h = out[i]!;
    if (!clashes(h)) continue;
    const [lo, hi] = room(out, i, base.length);
    const acrossBlanks = (c: Hunk) => base.slice(Math.min(c.start, h.start), Math.max(c.start, h.start)).every((l) => l.trim() === '');
    const apart = slides(h, base, side, lo, hi).find((c) => acrossBlanks(c) && !clashes(c));
    if (apart) out[i] = apart;
  }
  return out;
}

/**
 * Whether two changes of different sides cannot both be applied as they are: they replace a
 * common base line, an insertion falls strictly inside the other's lines, or both insert at the same
 * place (no order is the right one). Touching changes do not collide.
 */
export function collide(a: Hunk, b: Hunk): boolean {
  const aInsert = a.start === a.end;
  const bInsert = b.start === b.end;
  if (aInsert && bInsert) return a.start === b.start;
  if (aInsert) return b.start < a.start && a.start < b.end;
  if (bInsert) return a.start < b.start && b.start < a.end;
  return a.start < b.end && b.start < a.end;
}

/** Both sides' hunks in base order (an insertion before a change at the same place), grouped where they collide. */
export function groupHunks(hunks: readonly Hunk[]): Hunk[][] {
  const sorted = [...hunks].sort((x, y) => x.start - y.start || x.end - x.start - (y.end - y.start));
  const groups: Hunk[][] = [];
  for (const h of sorted) {
    const last = groups.at(-1);
    if (last?.some((k) => k.side !== h.side && collide(k, h))) last.push(h);
    else groups.push([h]);
  }
  return groups;
}

/** One side's text of the base span [lo, hi): its own hunks applied, the base lines it kept as `kept` gives them. */
function sideOfSpan(group: readonly Hunk[], side: Side, lo: number, hi: number, kept: (i: number) => Line): Line[] {
  const out: Line[] = [];
  let at = lo;
  for (const h of group.filter((g) => g.side === side)) {
    for (; at < h.start; at++) out.push(kept(at));
    out.push(...h.lines);
    at = h.end;
  }
  for (; at < hi; at++) out.push(kept(at));
  return out;
}

const sameTexts = (a: readonly Line[], b: readonly Line[]) => a.length === b.length && a.every((l, i) => l.text === b[i]!.text);

/** How many lines two texts share at the start, and then at the end (without overlapping). */
export function commonEnds(a: readonly Line[], b: readonly Line[]): { head: number; tail: number } {
  let head = 0;
  while (head < a.length && head < b.length && a[head]!.text === b[head]!.text) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail]!.text === b[b.length - 1 - tail]!.text) tail++;
  return { head, tail };
}

/** A side's copy of each base line it kept (with its own ending), by base index; undefined where its hunks changed the line. */
export function keptCopies(hunks: readonly Hunk[], baseLength: number, side: readonly Line[]): (Line | undefined)[] {
  const out: (Line | undefined)[] = new Array(baseLength).fill(undefined);
  let i = 0;
  for (const h of hunks) {
    for (; i < h.start; i++) out[i] = side[h.at - (h.start - i)];
    i = h.end;
  }
  // After the last hunk, base line i is the side's line i + (side.length - baseLength).
  for (; i < baseLength; i++) out[i] = side[i + side.length - baseLength];
  return out;
}

/** Merges `yours` and `theirs`, both derived from `base`; changes that collide get standard conflict markers. */
export function mergeThreeWay(yours: string, base: string, theirs: string): MergeOutcome {
  const Y = splitLines(yours);
  const B = splitLines(base).map((l) => l.text);
  const T = splitLines(theirs);
  const eol = dominantEol(Y);
  const hy0 = lowest(hunksOf(B, Y, 'yours'), B, Y);
  const ht0 = placeApart(lowest(hunksOf(B, T, 'theirs'), B, T), hy0, B, T);
  const hy = placeApart(hy0, ht0, B, Y);
  // The generator's lines take the person's ending (a last line without one stays so).
  const ht = ht0.map((h) => ({ ...h, lines: h.lines.map((l) => ({ text: l.text, eol: l.eol && eol })) }));

  const yoursOf = keptCopies(hy, B.length, Y);
  const kept = (i: number) => yoursOf[i] ?? { text: B[i]!, eol };

  const out: Line[] = [];
  const marker = (text: string) => out.push({ text, eol });
  let conflicts = 0;
  let at = 0;
  for (const group of groupHunks([...hy, ...ht])) {
    const lo = group[0]!.start;
    const hi = Math.max(...group.map((h) => h.end));
    for (; at < lo; at++) out.push(kept(at));
    at = hi;
    if (group.length === 1) {
      out.push(...group[0]!.lines);
      continue;
    }
    const a = sideOfSpan(group, 'yours', lo, hi, kept);
    const b = sideOfSpan(group, 'theirs', lo, hi, (i) => ({ text: B[i]!, eol }));
    if (sameTexts(a, b)) {
      out.push(...a);
      continue;
    }
    // Lines both sides have at the ends of the span stay outside the block, in the person's copy.
    const { head, tail } = commonEnds(a, b);
    conflicts++;
    out.push(...a.slice(0, head));
    marker(MARKERS.ours);
    out.push(...a.slice(head, a.length - tail));
    marker(MARKERS.sep);
    out.push(...b.slice(head, b.length - tail));
    marker(MARKERS.theirs);
    out.push(...a.slice(a.length - tail));
  }
  for (; at < B.length; at++) out.push(kept(at));
  return { text: joinLines(out, eol), conflicts };
}

/** True when the text still holds an unresolved conflict left by a merge. */
export function hasConflictMarkers(text: string): boolean {
  return /^<<<<<<< /m.test(text) && /^>>>>>>> /m.test(text) && /^=======\r?$/m.test(text);
}
