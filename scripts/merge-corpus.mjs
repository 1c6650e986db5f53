#!/usr/bin/env node
// Prints the merge corpus table: realistic hand edits x answer changes, our merge against
// `git merge-file` on the same three files (see scripts/merge-corpus-lib.mjs).
//
//   npm run merge-corpus          (builds first)
//   node scripts/merge-corpus.mjs [--list]   (--list names every pair that conflicts or fails a check)
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHANGES, EDITS, formatTable, runCorpus, summarize } from './merge-corpus-lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lib = await import(pathToFileURL(path.join(ROOT, 'dist/src/index.js')).href);
const { mergeThreeWay, MARKERS } = await import(pathToFileURL(path.join(ROOT, 'dist/src/update/merge.js')).href);

const list = process.argv.includes('--list');
const { root, pairs } = await runCorpus({ generate: (dir, answers) => lib.generate(dir, answers), merge: mergeThreeWay, markers: MARKERS });
try {
  console.log(formatTable(summarize(pairs), { edits: EDITS.length, changes: CHANGES.length }));
  if (list) {
    console.log('');
    for (const p of pairs) {
      const flags = [p.ours.conflicts ? `ours ${p.ours.conflicts}` : '', p.git.conflicts ? `git ${p.git.conflicts}` : '', ...Object.entries(p.verdict).flatMap(([k, v]) => (v.length ? [`${k}: ${v.slice(0, 2).join('; ')}`] : []))].filter(Boolean);
      if (flags.length) console.log(`${p.edit.name} x ${p.change.name}: ${flags.join(', ')}`);
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
