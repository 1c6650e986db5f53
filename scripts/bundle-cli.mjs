// Bundles the edges into dist/bundle/: the CLI's fast path (core, update engine, yaml, diff) as
// one file to load instead of ~100 modules, which is most of a cold start, and the library API
// beside it (the two share chunks); and the Yeoman generator
// with yeoman-generator inside it, so that installing the package installs no part of Yeoman (yo
// brings the environment). The CLI's prompts (src/cli/interactive.js and Inquirer's prompts) stay
// outside, loaded only when there is something to ask.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const cli = await build({
  ...common,
  entryPoints: { cli: 'dist/src/cli/main.js', library: 'dist/src/library.js' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@inquirer/*'],
  plugins: [keepInteractiveOutside],
  metafile: true,
});
const generator = await build({
  ...common,
  entryPoints: { generator: 'dist/generators/app/generator.js' },
  external: ['@inquirer/*', 'yeoman-environment'],
  plugins: [keepInteractiveOutside, yeomanGeneratorPackageJson],
  metafile: true,
});
writeFileSync(path.join(root, 'dist/bundle/THIRD-PARTY-NOTICES.md'), thirdPartyNotices([cli.metafile, generator.metafile]));

/**
 * The licences of the packages bundled into dist/bundle/ (their code ships inside it, so their
 * notices must too): name, version, licence and the text of its licence file, sorted by name.
 */
function thirdPartyNotices(metafiles) {
  const packages = new Map();
  for (const meta of metafiles)
    for (const input of Object.keys(meta.inputs)) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (!m || packages.has(m[1])) continue;
      const dir = path.join(root, m[1]);
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      const declared = [
        `its package.json declares ${pkg.license ?? 'no licence'}`,
        typeof pkg.author === 'string' ? pkg.author : pkg.author?.name,
        typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url,
      ]
        .filter(Boolean)
        .join('; ');
      packages.set(m[1], {
        name: pkg.name,
        version: pkg.version,
        license: pkg.license ?? 'see its files',
        text: file ? readFileSync(path.join(dir, file), 'utf8').trim() : '',
        declared,
      });
    }
  const seen = new Set();
  const rows = [...packages.values()]
    .filter((p) => !seen.has(`${p.name}@${p.version}`) && seen.add(`${p.name}@${p.version}`))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [
    '# Third-party notices',
    '',
    'dist/bundle/ holds code of these packages, bundled by scripts/bundle-cli.mjs. Each keeps its licence:',
    '',
    ...rows.flatMap((p) => [
      `## ${p.name} ${p.version} (${p.license})`,
      '',
      ...(p.text ? ['```text', p.text, '```'] : [`(the package ships no licence file: ${p.declared})`]),
      '',
    ]),
  ].join('\n');
}
