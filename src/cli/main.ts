// `bindplane-distributed`: the fast edge. It loads the prompts only when a person must be asked something.
import path from 'node:path';
import { askQuestions, isCancel } from '../answers/flow.js';
import { pendingQuestions } from '../answers/questions.js';
import type { Layer } from '../answers/resolve.js';
import { preflight, run, storedLayer, type RunResult } from '../engine.js';
import { InputError, StateError } from '../errors.js';
import { checkLines, diffText, planLines } from '../report.js';
import { VERSION } from '../version.js';
import { loadAnswersFile } from './answers-file.js';
import { helpText, parseCli } from './args.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  interactive: boolean;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
};

export async function printResult(result: RunResult, io: Pick<Io, 'out'>): Promise<void> {
  for (const n of result.notices) io.out(`notice: ${n}`);
  for (const w of result.warnings) io.out(`warning: ${w}`);
  if (result.mode === 'check') {
    for (const l of checkLines(result)) io.out(l);
    return;
  }
  for (const l of planLines(result)) io.out(l);
  if (result.mode === 'dry-run') {
    for (const c of result.changes) {
      const d = await diffText(c);
      if (d) io.out(d.trimEnd());
    }
    io.out('dry run: nothing was written');
  } else if (result.conflicts.length > 0) {
    io.out('written, with conflicts to resolve: edit the files above, then run again');
  } else if (result.changes.some((c) => c.drift || c.path === '.env')) {
    io.out(`done: ${path.relative(process.cwd(), result.dest) || '.'} (next: cd there and run make start)`);
  }
}

export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  try {
    const args = parseCli(argv);
    if (args.help) {
      io.out(helpText(VERSION));
      return 0;
    }
    if (args.version) {
      io.out(VERSION);
      return 0;
    }
    const cwd = process.cwd();
    const root = path.resolve(cwd, args.dest);
    if (args.rotateSecret !== undefined) {
      const { rotateSecret } = await import('./rotate.js');
      io.out(rotateSecret(root, args.rotateSecret));
      return 0;
    }
    const layers: Layer[] = [{ source: 'flag', values: args.flags, baseDir: cwd }];
    if (args.answersFile) layers.push(await loadAnswersFile(args.answersFile, cwd));
    if (io.interactive && !args.defaults && args.mode === 'apply') {
      const stored = storedLayer(root);
      if (pendingQuestions(layers, stored, root).length > 0) {
        // What would refuse the run whatever the answers is said before the first question.
        preflight({ dest: root, force: args.force });
        const { inquirerAsker } = await import('./interactive.js');
        layers.push({ source: 'prompt', values: await askQuestions(inquirerAsker, { dest: root, layers, stored }), baseDir: cwd });
      }
    }
    const result = await run({ dest: root, layers, mode: args.mode, force: args.force, restore: args.restore });
    await printResult(result, io);
    return result.exitCode;
  } catch (e) {
    if (isCancel(e)) {
      io.err('Cancelled');
      return 130;
    }
    if (e instanceof InputError || e instanceof StateError) {
      io.err(`bindplane-distributed: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}
