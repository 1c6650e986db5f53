// The generator of an older commit, built from this clone's history, for the generator-upgrade tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './stack.js';

/** The last commit before the first-start work: its stacks give the server a key of their own. */
export const SERVER_KEY_COMMIT = '43de9f5';

/** Builds the generator of an older commit into a temporary folder; returns its CLI. */
export function buildOldGenerator(commit: string): string {
  const have = spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${commit}^{commit}`]);
  if (have.status !== 0)
    throw new Error(`commit ${commit} is not in this clone's history: the upgrade test needs the full git history (git clone without --depth)`);
  const old = path.join(tempDir('bpd-old-'), 'generator');
  mkdirSync(old);
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', ROOT, commit, old]);
  // Same dependencies then and now (package.json's dependencies did not change): share them.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(old, 'node_modules'), 'dir');
  execFileSync('sh', ['-c', 'node scripts/compile-templates.mjs && npx tsc -p tsconfig.json && node scripts/build-assets.mjs && node scripts/bundle-cli.mjs'], {
    cwd: old,
    stdio: 'pipe',
    timeout: 120_000,
  });
  const cli = path.join(old, 'bin/bindplane-distributed.js');
  if (!existsSync(cli)) throw new Error(`the generator of ${commit} did not build`);
  return cli;
}
