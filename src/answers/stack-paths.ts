// Where a file answer lies: inside the stack (stored relative to it, so a clone finds it) or
// outside (read only when the person gives or confirms it on this run).
import { realpathSync } from 'node:fs';
import path from 'node:path';

/** A path's target with every link followed; the path as it is when it does not exist (yet). */
const real = (p: string) => {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
};

/** `to` relative to `from` when it lies below it, else undefined (the folder itself is not below it). */
const below = (from: string, to: string) => {
  const rel = path.relative(from, to);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : undefined;
};

/** A file's path relative to the stack when it lies inside it, as written or through links (a stack reached by a link). */
export function pathInStack(dest: string, abs: string): string | undefined {
  return below(dest, abs) ?? below(real(dest), real(abs));
}

/** A file answer's path that leads outside the stack, as written or where its links lead (stored ones are relative to it). */
export function isOutsideStack(dest: string, file: string): boolean {
  return below(real(dest), real(path.resolve(dest, file))) === undefined;
}
