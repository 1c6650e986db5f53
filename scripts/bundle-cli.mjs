// Bundles the edges into dist/bundle/: the CLI's fast path (core, update engine, yaml, diff) as
// one file to load instead of ~100 modules, which is most of a cold start, and the library API
// beside it (the two share chunks); and the Yeoman generator
// with yeoman-generator inside it, so that installing the package installs no part of Yeoman (yo
// brings the environment). The CLI's prompts (src/cli/interactive.js and Inquirer's prompts) stay
// outside, loaded only when there is something to ask.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keepInteractiveOutside = {
  name: 'interactive-outside',
  setup(b) {
    b.onResolve({ filter: /\/interactive\.js$/ }, () => ({ path: '../src/cli/interactive.js', external: true }));
  },
};
// yeoman-generator reads its own package.json next to its module at load time; bundled, that file is
// not there, so the two fields it uses are written in.
const yeomanGeneratorPackageJson = {
  name: 'yeoman-generator-package-json',
  setup(b) {
    b.onLoad({ filter: /yeoman-generator[\\/]dist[\\/]generator\.js$/ }, (args) => {
      const read = "JSON.parse(readFileSync(pathJoin(_dirname, '../package.json'), 'utf8'))";
      const code = readFileSync(args.path, 'utf8');
      if (!code.includes(read)) throw new Error('yeoman-generator changed how it reads its package.json; update scripts/bundle-cli.mjs');
      const { name, version } = JSON.parse(readFileSync(path.join(path.dirname(args.path), '../package.json'), 'utf8'));
      return { contents: code.replace(read, JSON.stringify({ name, version })), loader: 'js' };
    });
  },
};
rmSync(path.join(root, 'dist/bundle'), { recursive: true, force: true });
const common = {
  absWorkingDir: root,
  outdir: 'dist/bundle',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // yaml and some of yeoman-generator's modules are CommonJS and require node's own modules.
  banner: { js: "import { createRequire as __bpdCreateRequire } from 'node:module'; const require = __bpdCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
};
// Two builds, so the CLI's file stays where its outside import of interactive.js points from.
// The library API shares the CLI's chunks, so the package needs no runtime dependency but the prompts.
await build({
  ...common,
  entryPoints: { cli: 'dist/src/cli/main.js', library: 'dist/src/library.js' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@inquirer/*'],
  plugins: [keepInteractiveOutside],
});
await build({
  ...common,
  entryPoints: { generator: 'dist/generators/app/generator.js' },
  external: ['@inquirer/*', 'yeoman-environment'],
  plugins: [keepInteractiveOutside, yeomanGeneratorPackageJson],
});
