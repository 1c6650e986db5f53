// `prepare`: builds the package. npm runs it after `npm install` in a checkout, and in a temporary
// clone when it installs the package from a git URL. In that second case npm (10 and 11) hands its
// --global and --prefix on to the install in the clone, so the build tools (devDependencies) land
// in the global prefix instead and the build cannot find them. Then this installs them into the
// clone from the lockfile first, with npm's global settings taken out.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const buildTools = ['ejs', 'typescript', 'esbuild', 'yeoman-generator'];

function sh(args, env = process.env) {
  const r = spawnSync(npm[0], [...npm.slice(1), ...args], { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (buildTools.some((t) => !existsSync(path.join(root, 'node_modules', t, 'package.json')))) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|prefix)$/i.test(k)));
  sh(['ci', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], env);
}
sh(['run', 'build']);
