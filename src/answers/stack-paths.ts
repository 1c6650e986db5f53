// Where a file answer lies, and how it is written down. Inside the stack it is stored relative to
// it, so a clone finds it. Outside, it is read only when the person gives or confirms it on this
// run, and it is stored so that the committed .yo-rc.json and record name no one's home folder:
// relative to the stack where the two share a top folder, `~/...` under the home folder, and
// absolute only for a system path (such as /etc/ssl/...), the same on every machine.
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
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

/** Below the home folder, as written or where the home folder's links lead; never when home is `/`. */
const belowHome = (p: string, home: string) => (path.dirname(home) === home ? undefined : (below(home, p) ?? below(real(home), p)));

const HOME_PREFIX = '~/';

/**
 * The file a file answer names. `~/` is the home folder; a relative path is taken from `base`'s
 * real folder, as the system takes `..` (from a folder reached by a link, `..` is the target's parent).
 */
export function filePathOf(base: string, value: string, home = homedir()): string {
  if (value.startsWith(HOME_PREFIX)) return path.join(home, value.slice(HOME_PREFIX.length));
  return path.resolve(real(base), value);
}

/** A file's path relative to the stack when it lies inside it, as written or through links (a stack reached by a link). */
export function pathInStack(dest: string, abs: string): string | undefined {
  return below(dest, abs) ?? below(real(dest), real(abs));
}

/** How a file answer at `abs` is stored: see the header; never an absolute path into the home folder. */
export function storedFilePath(dest: string, abs: string, home = homedir()): string {
  const inStack = pathInStack(dest, abs);
  if (inStack !== undefined) return inStack;
  const root = real(dest);
  const inHome = belowHome(abs, home);
  if (inHome !== undefined && belowHome(root, home) === undefined) return HOME_PREFIX + inHome.split(path.sep).join('/');
  const top = (p: string) => p.split(path.sep)[1];
  return top(root) === top(abs) ? path.relative(root, abs) : abs;
}

/** A file answer's path that leads outside the stack, as written or where its links lead (stored ones are relative to it). */
export function isOutsideStack(dest: string, file: string): boolean {
  return below(real(dest), real(filePathOf(dest, file))) === undefined;
}

/** A file answer as a person reads it: the stored value, and the file it leads to (links followed) when that is not the same text. */
export function fileShown(dest: string, value: string): string {
  const abs = real(filePathOf(dest, value));
  return abs === value ? JSON.stringify(value) : `${JSON.stringify(value)} (${abs})`;
}
