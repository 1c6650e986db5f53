// Three-way merge of a person's edits with a new render, line by line.
import { diff3Merge } from 'node-diff3';

export const MARKERS = {
  ours: '<<<<<<< yours (the file as you edited it)',
  sep: '=======',
  theirs: '>>>>>>> generator (the new render)',
} as const;

export interface MergeOutcome {
  text: string;
  conflicts: number;
}

/** Merges `yours` and `theirs`, both derived from `base`; overlapping changes get standard conflict markers. */
export function mergeThreeWay(yours: string, base: string, theirs: string): MergeOutcome {
  const split = (s: string) => s.split('\n');
  const regions = diff3Merge(split(yours), split(base), split(theirs), { excludeFalseConflicts: true });
  const out: string[] = [];
  let conflicts = 0;
  for (const r of regions) {
    if (r.ok) out.push(...r.ok);
    else if (r.conflict) {
      conflicts++;
      out.push(MARKERS.ours, ...r.conflict.a, MARKERS.sep, ...r.conflict.b, MARKERS.theirs);
    }
  }
  let text = out.join('\n');
  // A conflict at the very end can lose the final newline both sides had.
  if (yours.endsWith('\n') && theirs.endsWith('\n') && !text.endsWith('\n')) text += '\n';
  return { text, conflicts };
}

/** True when the text still holds an unresolved conflict left by a merge. */
export function hasConflictMarkers(text: string): boolean {
  return /^<<<<<<< /m.test(text) && /^>>>>>>> /m.test(text) && /^=======$/m.test(text);
}
