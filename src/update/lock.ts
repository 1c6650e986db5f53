// One run at a time per destination: two updates interleaving would take each other's staging for
// an interrupted update, or merge against each other's half-written files.
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StateError } from '../errors.js';

/** Beside the destination, so that it also guards a destination that does not exist yet. */
export function lockPath(root: string): string {
  return path.join(path.dirname(root), `.${path.basename(root)}.bindplane-distributed.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock, or says which run holds it; a lock left by a process that is gone is taken over. Returns the release. */
export function acquireLock(root: string): () => void {
  const file = lockPath(root);
  // Nothing to guard yet where even the parent is missing; creating it here would write on bad input.
  if (!existsSync(path.dirname(file))) return () => {};
  // The pid is written to a file of this run's own first, then linked into place: the lock appears
  // with its pid already in it, so no other run can read it empty and take it over.
  const own = `${file}.${process.pid}`;
  try {
    writeFileSync(own, String(process.pid), { mode: 0o644 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') return () => {}; // a read-only place: nothing will be written there either
    throw e;
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(own, file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let held: string;
        try {
          held = readFileSync(file, 'utf8');
        } catch (r) {
          if ((r as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: try again
          throw r;
        }
        const pid = Number.parseInt(held, 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
          throw new StateError(`another bindplane-distributed run (pid ${pid}) is working on ${root}; wait for it to finish (or, if no such run exists, delete ${file})`);
        unlinkSync(file);
        continue;
      }
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    }
  } finally {
    unlinkSync(own);
  }
  throw new StateError(`cannot take the lock ${file}; delete it if no bindplane-distributed run is working on ${root}`);
}
