// `bindplane-distributed`: the fast edge. It loads the prompts only when a person must be asked something.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { askQuestions, isCancel } from '../answers/flow.js';
import { anythingToAsk, pendingQuestions } from '../answers/questions.js';
import type { Layer } from '../answers/layers.js';
import { flagOf, type AnswerSpec } from '../answers/schema.js';
import { preflight, run, storedLayer, type RunResult } from '../engine.js';
import { InputError, StateError } from '../errors.js';
import { checkLines, diffText, keptEdits, keptHeading, listsSizes, nextSteps, planLines, type LicenseState } from '../report.js';
import { VERSION } from '../version.js';
import { loadAnswersFile } from './answers-file.js';
import { helpText, parseCli } from './args.js';
import { cancellableQuestions } from './cancel.js';
import { locateDestination } from './locate.js';
import { projectClash } from './project-clash.js';
import { styleFor, wantsColor } from './style.js';

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

/**
 * Whether the stack has its license: a non-empty BINDPLANE_LICENSE line in its .env, or on Compose
 * also exported (Kubernetes reads .env only, and unquoted).
 */
function licenseState(dest: string, platform: string): LicenseState {
  const kubernetes = platform === 'kubernetes';
  if (!kubernetes && process.env.BINDPLANE_LICENSE) return { licensed: true };
  try {
    const line = kubernetes ? /^BINDPLANE_LICENSE=[^"'\s]/m : /^BINDPLANE_LICENSE=["']?[^"'\s]/m;
    return { licensed: line.test(readFileSync(path.join(dest, '.env'), 'utf8')) };
  } catch {
    return { licensed: false };
  }
}

export async function printResult(result: RunResult, io: Pick<Io, 'out' | 'color'>): Promise<void> {
  const style = styleFor(io.color ?? false);
  for (const n of result.notices) io.out(`${style.heading('notice:')} ${n}`);
  for (const w of result.warnings) io.out(`${style.warning('warning:')} ${w}`);
  if (result.mode === 'check') {
    for (const l of checkLines(result)) io.out(l);
    return;
  }
  for (const l of planLines(result)) io.out(l);
  if (result.mode === 'dry-run') {
    // A new stack's files are listed with their sizes above; an update shows what would change.
    if (!listsSizes(result))
      for (const c of result.changes) {
        const d = await diffText(c);
        if (d) io.out(d.trimEnd());
      }
    io.out('dry run: nothing was written');
  } else if (result.conflicts.length > 0) {
    io.out('written, with conflicts to resolve: edit the files above, then run again');
  } else if (result.changes.some((c) => c.drift || c.path === '.env') || keptEdits(result)) {
    const next = nextSteps(result, process.cwd(), licenseState(result.dest, result.answers.platform));
    io.out('');
    io.out(style.heading(keptEdits(result) ? keptHeading(result, process.cwd()) : next.heading));
    io.out(style.heading('next:'));
    next.steps.forEach((s, i) => io.out(`  ${i + 1}. ${s.command ? s.text.replace(s.command, style.command(s.command)) : s.text}`));
  }
}

/**
 * The questions a run without a terminal answers with their defaults. A wrong answer given is not
 * reported here: the run reports every one at once.
 */
export function defaultedQuestions(layers: readonly Layer[], root: string): AnswerSpec[] {
  try {
    return pendingQuestions(layers, storedLayer(root), root);
  } catch {
    return [];
  }
}

/** The one line a run without a terminal says when it answered questions with their defaults. */
export function tookDefaults(pending: readonly AnswerSpec[]): string {
  // The questions that matter first, as a terminal would have asked them.
  const ordered = [...pending.filter((s) => s.basic), ...pending.filter((s) => !s.basic)];
  const named = ordered.slice(0, 3).map((s) => `--${flagOf(s.name)}`);
  const more = pending.length > 3 ? ` and ${pending.length - 3} more` : '';
  return `no terminal to ask at: took the defaults for ${named.join(', ')}${more} (--defaults says so; flags or --answers choose)`;
}

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
      io.out(rotateSecret(root, args.rotateSecret));
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
    // Compose projects share containers and volumes by name; Kubernetes namespaces are another matter.
    if (args.mode !== 'check' && result.answers.platform === 'compose' && result.previousAnswers?.projectName !== result.answers.projectName) {
      const clash = projectClash(result.answers.projectName, result.dest);
      if (clash) result.warnings.push(clash);
    }
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
