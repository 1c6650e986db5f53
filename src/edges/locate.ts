// Which folder a run is about. Like Yeoman, a run from inside a stack works on that stack; a
// destination named inside one is refused rather than given a second stack, secrets and all.
import path from 'node:path';
import { InputError } from '../errors.js';
import { holdsStack } from '../run/index.js';

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
