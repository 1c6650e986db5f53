// Paths the generator may touch: inside the repository, whatever a record or journal claims.
import { lstatSync } from 'node:fs';
import path from 'node:path';

/** A path inside the repository, as the generator writes them: relative, normalized, no way up. */
export function isInsidePath(p: unknown): p is string {
  return typeof p === 'string' && p !== '' && !p.includes('\0') && !path.isAbsolute(p) && path.posix.normalize(p) === p && p !== '..' && !p.startsWith('../');
}

/** The first component of `rel` below `root` that is a symbolic link, if any (it could lead outside). */
export function linkOnPath(root: string, rel: string): string | undefined {
  let cur = root;
  for (const part of rel.split('/')) {
    cur = path.join(cur, part);
    try {
      if (lstatSync(cur).isSymbolicLink()) return path.relative(root, cur);
    } catch {
      return undefined; // the rest does not exist yet
    }
  }
  return undefined;
}
