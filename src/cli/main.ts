// `bindplane-distributed`: the fast edge. It loads the prompts only when a person must be asked something.
import { askQuestions, isCancel } from '../answers/flow.js';
import { anythingToAsk } from '../answers/questions.js';
import type { Layer } from '../answers/layers.js';
import type { AnswerSpec } from '../answers/schema.js';
import { defaultedQuestions, preflight, run, storedLayer } from '../run/index.js';
import { InputError, StateError } from '../errors.js';
import { printResult, tookDefaults } from '../report.js';
import { VERSION } from '../version.js';
import { loadAnswersFile } from '../edges/answers-file.js';
import { cancellableQuestions } from '../edges/cancel.js';
import { locateDestination } from '../edges/locate.js';
import { wantsColor } from '../edges/style.js';
import { helpText, parseCli } from './args.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  interactive: boolean;
  /** Colour the closing lines and warnings (a terminal without NO_COLOR). */
  color?: boolean;
  /** Columns for --help. */
  columns?: number;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  color: wantsColor(process.stdout.isTTY),
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
};

export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  try {
    const args = parseCli(argv);
    if (args.help) {
      io.out(helpText(VERSION, io.columns));
      return 0;
    }
    if (args.version) {
      io.out(VERSION);
      return 0;
    }
    const cwd = process.cwd();
    const { root, note } = locateDestination(cwd, args.dest);
    if (note) io.err(note);
    if (args.rotateSecret !== undefined) {
      const { rotateSecret } = await import('./rotate.js');
      io.out(await rotateSecret(root, args.rotateSecret));
      return 0;
    }
    const layers: Layer[] = [{ source: 'flag', values: args.flags, baseDir: cwd }];
    if (args.answersFile) layers.push(await loadAnswersFile(args.answersFile, cwd));
    let defaulted: AnswerSpec[] = [];
    if (!args.defaults && args.mode === 'apply' && !io.interactive) defaulted = defaultedQuestions(layers, root);
    else if (!args.defaults && args.mode === 'apply') {
      const stored = storedLayer(root);
      if (anythingToAsk(layers, stored, root)) {
        // What would refuse the run whatever the answers is said before the first question.
        preflight({ dest: root, force: args.force, layers });
        const { inquirerAsker } = await import('./interactive.js');
        // Prompted file answers come back relative to the stack.
        const values = await cancellableQuestions(() => askQuestions(inquirerAsker, { dest: root, layers, stored, columns: io.columns }), io.err);
        layers.push({ source: 'prompt', values, baseDir: root });
      }
    }
    const result = await run({ dest: root, layers, mode: args.mode, force: args.force, restore: args.restore });
    if (defaulted.length > 0) io.err(tookDefaults(defaulted));
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
