// The package's own version, read once from its package.json (the nearest one above this module).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'generator-bindplane-distributed') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('generator-bindplane-distributed: package.json not found');
    dir = up;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
export const VERSION: string = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
