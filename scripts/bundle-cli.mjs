// Bundles the CLI's fast path (core, update engine, yaml, diff) into dist/bundle/: one file to
// load instead of ~100 modules, which is most of a cold start. Yeoman stays outside, loaded only
// when there is something to ask.
import { rmSync } from 'node:fs';
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
rmSync(path.join(root, 'dist/bundle'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'dist/src/cli/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['yeoman-environment', 'yeoman-generator'],
  plugins: [keepInteractiveOutside],
  // yaml is CommonJS and requires node's own modules.
  banner: { js: "import { createRequire as __bpdCreateRequire } from 'node:module'; const require = __bpdCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
