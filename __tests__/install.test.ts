// A global install of the packed package into a fresh prefix, as a person does it (npm, from the
// registry): the command works, it brings no part of Yeoman, and it stays small. The numbers come
// from scripts/measure-install.sh, the script the README names.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cleanupTempDirs, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

describe('npm install --global of the packed package', () => {
  it('installs a working command with a few small dependencies and no Yeoman', () => {
    const work = tempDir();
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = path.join(
      work,
      readdirSync(work).find((f) => f.endsWith('.tgz'))!,
    );
    const r = spawnSync('sh', [path.join(ROOT, 'scripts/measure-install.sh'), tarball], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const packages = Number(/packages: (\d+)/.exec(r.stdout)?.[1]);
    const megabytes = Number(/size: (\d+) MB/.exec(r.stdout)?.[1]);
    expect(r.stdout).toContain('bindplane-distributed --version: ok');
    // Before @inquirer/prompts and the bundled generator: 336 packages, 67 MB.
    expect(packages).toBeGreaterThan(0);
    expect(packages).toBeLessThan(40);
    expect(megabytes).toBeLessThan(12);
    expect(r.stdout).toContain('yeoman: none');
  }, 300_000);

  it('the tarball holds the built command and generator, and no source folder yo would list', () => {
    const work = tempDir();
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = path.join(
      work,
      readdirSync(work).find((f) => f.endsWith('.tgz'))!,
    );
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of [
      'package/bin/bindplane-distributed.js',
      'package/dist/bundle/cli.js',
      'package/dist/bundle/generator.js',
      'package/generators/app/index.js',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^package\/[^/]+\/index\.(js|ts)$/.test(f))).toEqual([]);
    expect(existsSync(tarball)).toBe(true);
  }, 120_000);
});
