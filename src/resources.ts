// The person's Bindplane resources: files copied into a stack's resources/ once, never replaced.
import { copyFileSync, constants, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { InputError } from './errors.js';
import { RESOURCES_DIR } from './model/core/first-start.js';

const RESOURCE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/;

/** Refuses, before anything is written, a resources folder that is not one. */
export function checkResourcesFolder(from: string): void {
  if (!existsSync(from) || !lstatSync(from).isDirectory()) throw new InputError(`resources: ${from} is not a folder of Bindplane resource files`, 'resources');
}

/** Copies each resource file of `from` into `dest/resources/` unless a file of that name is there. Returns the names copied. */
export function seedResources(dest: string, from: string): string[] {
  checkResourcesFolder(from);
  const names = readdirSync(from)
    .filter((n) => RESOURCE_FILE.test(n) && lstatSync(path.join(from, n)).isFile())
    .sort();
  const target = path.join(dest, RESOURCES_DIR);
  if (existsSync(target) && !lstatSync(target).isDirectory()) throw new InputError(`${RESOURCES_DIR} in ${dest} is not a folder`, 'resources');
  mkdirSync(target, { recursive: true });
  const copied: string[] = [];
  for (const n of names) {
    try {
      // COPYFILE_EXCL: a file of the person's (or one copied before) is never replaced.
      copyFileSync(path.join(from, n), path.join(target, n), constants.COPYFILE_EXCL);
      copied.push(n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return copied;
}
