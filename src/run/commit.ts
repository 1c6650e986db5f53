// The commit stage: the plan's ops, checked to stay inside the destination, applied in one
// transaction (src/update/txn.ts): a first generation by renaming its staging folder into place.
import { InputError, StateError } from '../errors.js';
import type { Lock } from '../update/lock.js';
import { isInsidePath, linkOnPath } from '../update/paths.js';
import { commit, commitFresh, type Op } from '../update/txn.js';

/** Refuses an op that would leave the destination, by its path or through a link on the way. */
export function checkInside(root: string, ops: readonly Op[]): void {
  for (const { path: rel } of ops) {
    if (!isInsidePath(rel)) throw new StateError(`${JSON.stringify(rel)} is outside the destination; the generator writes only inside it`);
    const link = linkOnPath(root, rel);
    if (link !== undefined) throw new InputError(`${rel}: ${link} is a symbolic link; the generator writes only inside the destination`, rel);
  }
}

/** Applies the ops: into the existing destination, or as the first generation the lock staged. */
export async function commitOps(root: string, lock: Lock, ops: readonly Op[]): Promise<void> {
  if (lock.exists) await commit(root, ops);
  else await commitFresh(root, lock.staging!, ops);
}
