// `prepare`: builds the package. npm runs it after `npm install` in a checkout, and in a temporary
// clone when it installs or packs the package from a git URL, after installing the devDependencies
// there. A global install from a git URL (`npm i -g git+...`) is the exception (npm/cli#8440,
// #3692): npm hands --global on to the install in the clone, which installs nothing there and
// instead links the clone into the global folder, where the packed package is to go. Then this
// removes that link, installs the build tools into the clone from the lockfile, and builds.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, realpathSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const name = 'generator-bindplane-distributed';
const buildTools = ['ejs', 'typescript', 'esbuild', 'yeoman-generator'];
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];

function npmRun(args, env = process.env) {
  const r = spawnSync(npm[0], [...npm.slice(1), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** The global folder's link to this very folder, which npm's nested install made. */
function globalLinkToHere() {
  const prefix = process.env.npm_config_prefix;
  if (!prefix) return undefined;
  const link = path.join(prefix, process.platform === 'win32' ? '' : 'lib', 'node_modules', name);
  try {
    return lstatSync(link).isSymbolicLink() && realpathSync(link) === realpathSync(root) ? link : undefined;
  } catch {
    return undefined;
  }
}

if (buildTools.some((t) => !existsSync(path.join(root, 'node_modules', t, 'package.json')))) {
  const global = /^(true|1)$/i.test(process.env.npm_config_global ?? '') || process.env.npm_config_location === 'global';
  if (!global) {
    process.stderr.write(`${name}: the build needs the devDependencies; run npm ci first\n`);
    process.exit(1);
  }
  // An empty folder in the link's place: npm still steps into it, and puts the packed package there.
  const link = globalLinkToHere();
  if (link) {
    unlinkSync(link);
    mkdirSync(link);
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|prefix)$/i.test(k)));
  npmRun(['ci', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], env);
}
npmRun(['run', 'build']);
