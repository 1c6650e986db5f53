// Which folder a run is about. Like Yeoman, a run from inside a stack works on that stack; a
// destination named inside one is refused rather than given a second stack, secrets and all.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { GENERATOR_NAME, RECORD_FILE } from '../update/record.js';

/** True when the folder holds a stack of this generator: its answers in .yo-rc.json, or its record. */
export function holdsStack(dir: string): boolean {
  if (existsSync(path.join(dir, RECORD_FILE))) return true;
  try {
    // Only a regular file is read: a link or a FIFO there is refused by the run, never followed or waited on.
    if (!lstatSync(path.join(dir, '.yo-rc.json')).isFile()) return false;
    const yo = JSON.parse(readFileSync(path.join(dir, '.yo-rc.json'), 'utf8')) as unknown;
    return typeof yo === 'object' && yo !== null && Object.hasOwn(yo, GENERATOR_NAME);
  } catch {
    return false; // absent, or another tool's file: not ours
  }
}

/** The nearest folder above `dir` (not `dir` itself) that holds a stack. */
export function enclosingStack(dir: string): string | undefined {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if (holdsStack(d)) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

export interface Destination {
  root: string;
  /** Said to the person when the stack was found above the current folder. */
  note?: string;
}

export function locateDestination(cwd: string, given: string | undefined): Destination {
  const root = path.resolve(cwd, given ?? '.');
  if (holdsStack(root)) return { root };
  const above = enclosingStack(root);
  if (above === undefined) return { root };
  const shown = path.relative(cwd, above) || '.';
  if (given !== undefined)
    throw new InputError(
      `${JSON.stringify(given)} is inside the stack in ${shown}; give that folder to update the stack, or a folder outside it for a new one`,
      'dest',
    );
  return { root: above, note: `using the stack in ${shown} (the nearest folder above with its .yo-rc.json)` };
}
