// `prepack`: builds the package before npm packs it: on `npm pack` and `npm publish` in a checkout,
// and in the temporary clone npm makes to install or pack the package from a git URL (after
// installing the devDependencies there). It is not an install script, so the packed package.json
// asks nothing of the person who installs it (npm 11 warns about `prepare`, whose scripts/ folder is
// not in the tarball). A global install from a git URL (`npm i -g git+...`) is the exception: npm
// hands --global on to the install in the clone, which then puts no build tool there (npm/cli#8440,
// #3692). Rather than a broken command, say what works. In a checkout, `npm run build` builds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildTools = ['ejs', 'typescript', 'esbuild', 'yeoman-generator'];
const missing = buildTools.filter((t) => !existsSync(path.join(root, 'node_modules', t, 'package.json')));

if (missing.length > 0) {
  const global = /^(true|1)$/i.test(process.env.npm_config_global ?? '') || process.env.npm_config_location === 'global';
  process.stderr.write(
    global
      ? 'generator-bindplane-distributed: npm cannot build a package that it installs globally from a git URL (npm/cli#8440).\n' +
          'Install the packed package instead:  npm i -g "$(npm pack --silent <the same git URL>)"\n'
      : `generator-bindplane-distributed: the build needs the devDependencies (${missing.join(', ')} missing); run npm ci first\n`,
  );
  process.exit(1);
}
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const r = spawnSync(npm[0], [...npm.slice(1), 'run', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
