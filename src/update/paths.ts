// Paths the generator may touch: inside the repository, whatever a record or journal claims.
import path from 'node:path';

/** A path inside the repository, as the generator writes them: relative, normalized, no way up. */
export function isInsidePath(p: unknown): p is string {
  return typeof p === 'string' && p !== '' && !p.includes('\0') && !path.isAbsolute(p) && path.posix.normalize(p) === p && p !== '..' && !p.startsWith('../');
}
