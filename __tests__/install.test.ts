// The release check: the packed package as npm would publish it, installed globally into an empty
// prefix as a person does it (npm, from the registry), next to `yo`: both entry points run from
// there, the install stays small and brings no part of Yeoman, and the tarball holds only what runs.
// The numbers come from scripts/measure-install.sh, the script `npm run bench` and the docs name.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanupTempDirs, tempDir } from './helpers/stack.js';
import { ordinaryUser } from './helpers/user.js';

afterAll(cleanupTempDirs);

let tarball = '';

beforeAll(() => {
  // After `npm run build` (the test command's pretest): what `npm pack` packs once prepack has built.
  const work = tempDir();
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  tarball = path.join(
    work,
    readdirSync(work).find((f) => f.endsWith('.tgz'))!,
  );
}, 120_000);

/** The package.json inside the tarball. */
function packedManifest(): { scripts?: Record<string, string>; engines?: Record<string, string>; [k: string]: unknown } {
  return JSON.parse(execFileSync('tar', ['xzfO', tarball, 'package/package.json'], { encoding: 'utf8' }));
}

describe('the packed package', () => {
  it('installs a working command with at most 30 packages and 5 MB, and no Yeoman', () => {
    const r = spawnSync('sh', [path.join(ROOT, 'scripts/measure-install.sh'), tarball], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const packages = Number(/packages: (\d+)/.exec(r.stdout)?.[1]);
    const megabytes = Number(/size: ([\d.]+) MB/.exec(r.stdout)?.[1]);
    expect(r.stdout).toContain('bindplane-distributed --version: ok');
    // Before @inquirer/prompts and the bundled generator: 336 packages, 67 MB; before the library
    // shared the CLI's bundle and the prompts came one package each: 31 packages, 7.3 MB.
    expect(packages).toBeGreaterThan(0);
    expect(packages).toBeLessThanOrEqual(30);
    expect(megabytes).toBeGreaterThan(0);
    expect(megabytes).toBeLessThanOrEqual(5);
    expect(r.stdout).toContain('yeoman: none');
  }, 300_000);

  it('holds the built command, generator and library, and no template, source, test or script', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of [
      'package/bin/bindplane-distributed.js',
      'package/dist/bundle/cli.js',
      'package/dist/bundle/generator.js',
      'package/dist/bundle/library.js',
      'package/dist/bundle/THIRD-PARTY-NOTICES.md',
      'package/dist/src/library.d.ts',
      'package/dist/src/cli/interactive.js',
      'package/generators/app/index.js',
      'package/answers.schema.json',
      'package/LICENSE',
      'package/CHANGELOG.md',
      'package/README.md',
    ])
      expect(files).toContain(f);
    const unwanted = files.filter(
      (f) =>
        /\.ejs$/.test(f) ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
        /^package\/(templates|__tests__|scripts|src|docs|\.ci)\//.test(f) ||
        /\.test\./.test(f) ||
        /^package\/dist\/generators\//.test(f),
    );
    expect(unwanted).toEqual([]);
    // Bundled code keeps its licences: every package inside the bundles is named with its licence text.
    const notices = execFileSync('tar', ['xzfO', tarball, 'package/dist/bundle/THIRD-PARTY-NOTICES.md'], { encoding: 'utf8' });
    for (const bundled of ['js-yaml', 'diff', 'node-diff3', 'fastest-levenshtein', 'yeoman-generator', 'mem-fs-editor'])
      expect(notices).toMatch(new RegExp(`^## ${bundled} \\d+\\.\\d+\\.\\d+ \\(`, 'm'));
    // yeoman-environment's lookup takes ./*/index.{js,ts} for generators: only generators/app.
    expect(files.filter((f) => /^package\/[^/]+\/index\.(js|ts)$/.test(f))).toEqual([]);
  });

  it('its package.json has no install script, the engines of its prompts, and where it lives', () => {
    const manifest = packedManifest();
    const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => manifest.scripts?.[s] !== undefined);
    expect(installScripts).toEqual([]);
    const prompts = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@inquirer/input/package.json'), 'utf8'));
    expect(manifest.engines?.node).toBe(prompts.engines.node);
    expect(manifest.license).toBe('Apache-2.0');
    expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toContain('Apache License\n                           Version 2.0, January 2004');
    for (const field of ['repository', 'homepage', 'bugs']) expect(manifest[field], field).toBeTruthy();
    expect(String(manifest.description)).toMatch(/Kubernetes/);
  });

  it('installs into an empty prefix beside yo, and both entry points answer --help from there', () => {
    const prefix = tempDir('bpd-release-');
    // yo comes from npm's cache as the devDependency installed it; --prefer-offline asks the registry only when it is not there.
    const yoVersion = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/yo/package.json'), 'utf8')).version;
    const install = spawnSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball, `yo@${yoVersion}`], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(install.status, install.stderr).toBe(0);
    // npm 11 names every package whose install scripts it did not run: ours has none (yo has its own).
    expect(install.stderr).not.toContain('generator-bindplane-distributed');

    const bin = path.join(prefix, 'bin');
    const env = { ...process.env, PATH: `${bin}:/usr/bin:/bin` };
    const cli = spawnSync(path.join(bin, 'bindplane-distributed'), ['--help'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^Usage: bindplane-distributed \[DEST\]/m);

    // yo refuses root: it runs as an ordinary user, who must be able to read the prefix.
    const { name, uid, gid } = ordinaryUser();
    chmodSync(prefix, 0o755);
    const home = path.join(prefix, 'home');
    mkdirSync(home);
    chownSync(home, uid, gid);
    const yo = spawnSync(
      'runuser',
      ['-u', name, '--', 'env', `HOME=${home}`, `PATH=${bin}:/usr/bin:/bin`, path.join(bin, 'yo'), 'bindplane-distributed', '--help'],
      {
        encoding: 'utf8',
        cwd: home,
        timeout: 120_000,
      },
    );
    expect(yo.status, yo.stderr).toBe(0);
    expect(yo.stdout).toContain('yo bindplane-distributed');
    expect(yo.stdout).toContain('--instances');
    // What the destination defaults to, as the run finds it (the stack above, as the CLI does).
    expect(yo.stdout).toContain('the stack that holds the current folder, else the current folder');
  }, 400_000);
});
