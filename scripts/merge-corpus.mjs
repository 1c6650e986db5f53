#!/usr/bin/env node
// Prints the merge corpus table: realistic hand edits x answer changes, our merge against
// `git merge-file` on the same three files (see scripts/merge-corpus-lib.mjs).
//
//   npm run merge-corpus          (builds first)
//   node scripts/merge-corpus.mjs [--list] [--dist FOLDER]
//     --list         names every pair that conflicts or fails a check
//     --dist FOLDER  measures another build (its generator and its merge), e.g. an older release's dist
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHANGES, EDITS, formatTable, runCorpus, summarize } from './merge-corpus-lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const list = args.includes('--list');
const distAt = args.indexOf('--dist');
if (distAt >= 0 && !args[distAt + 1]) {
  process.stderr.write('merge-corpus: --dist wants the folder of a build (it holds src/library.js, or src/index.js before it was named so)\n');
  process.exit(2);
}
const dist = distAt >= 0 ? path.resolve(args[distAt + 1]) : path.join(ROOT, 'dist');
// The library's entry was src/index.js in builds before the rename (yo took a top-level src/index for a generator).
const entry = ['src/library.js', 'src/index.js'].map((f) => path.join(dist, f)).find((f) => existsSync(f)) ?? path.join(dist, 'src/library.js');
const lib = await import(pathToFileURL(entry).href);
const { mergeThreeWay, MARKERS } = await import(pathToFileURL(path.join(dist, 'src/update/merge.js')).href);

const { root, pairs } = await runCorpus({ generate: (dir, answers) => lib.generate(dir, answers), merge: mergeThreeWay, markers: MARKERS });
try {
  console.log(formatTable(summarize(pairs), { edits: EDITS.length, changes: CHANGES.length }));
  if (list) {
    console.log('');
    for (const p of pairs) {
      const flags = [
        p.ours.conflicts ? `ours ${p.ours.conflicts}` : '',
        p.git.conflicts ? `git ${p.git.conflicts}` : '',
        ...Object.entries(p.verdict).flatMap(([k, v]) => (v.length ? [`${k}: ${v.slice(0, 2).join('; ')}`] : [])),
      ].filter(Boolean);
      if (flags.length) console.log(`${p.edit.name} x ${p.change.name}: ${flags.join(', ')}`);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
