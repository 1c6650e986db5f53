// Words for a run's result, shared by the edges (the CLI and `yo`): the plan as lines, diffs for
// --dry-run (never of secrets), the next steps, and printResult that says them all.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ANSWERS, flagOf, type AnswerSpec } from './answers/schema.js';
import type { Change, RunResult } from './run/index.js';
import { styleFor } from './edges/style.js';

const LABEL_WIDTH = 9;

/** The answers this run changes, as `instances 3 -> 5`, in the table's order; none for a new stack. */
export function answerChanges(result: Pick<RunResult, 'answers' | 'previousAnswers'>): string[] {
  const before = result.previousAnswers;
  if (!before) return [];
  const after = result.answers as unknown as Partial<Record<string, unknown>>;
  const was = before as unknown as Partial<Record<string, unknown>>;
  return ANSWERS.filter((s) => was[s.name] !== undefined && after[s.name] !== undefined && was[s.name] !== after[s.name]).map(
    (s) => `${s.name} ${String(was[s.name])} -> ${String(after[s.name])}`,
  );
}

/** A size in words: bytes under 10 kB, else kB with one decimal. */
const size = (bytes: number) => (bytes < 10_000 ? `${bytes} bytes` : `${(bytes / 1000).toFixed(1)} kB`);

/** Whether --dry-run lists the files with their sizes instead of showing diffs: a new stack's files are all new. */
export const listsSizes = (result: Pick<RunResult, 'mode' | 'previousAnswers'>) => result.mode === 'dry-run' && !result.previousAnswers;

export function planLines(result: RunResult): string[] {
  const lines: string[] = [];
  if (result.recovered === 'finished') lines.push('finished an interrupted update before this run');
  if (result.recovered === 'rolled back') lines.push('rolled back an interrupted update before this run');
  for (const a of answerChanges(result)) lines.push(`${'answer'.padEnd(LABEL_WIDTH)}${a}`);
  const sizes = listsSizes(result);
  for (const c of result.changes) {
    const notes = [c.note, sizes && c.after !== undefined && !c.secret ? size(Buffer.byteLength(c.after)) : undefined].filter(Boolean);
    lines.push(`${c.action.padEnd(LABEL_WIDTH)}${c.path}${notes.length ? `  (${notes.join('; ')})` : ''}`);
  }
  if (result.changes.length === 0) lines.push('nothing to change');
  if (result.conflicts.length > 0) {
    lines.push('', `conflicts to resolve (look for <<<<<<< yours ... >>>>>>> generator):`);
    for (const c of result.conflicts) lines.push(`  ${c}`);
  }
  return lines;
}

export async function diffText(c: Change): Promise<string> {
  if (c.secret || c.after === undefined) return '';
  const { createTwoFilesPatch } = await import('diff');
  return createTwoFilesPatch(`a/${c.path}`, `b/${c.path}`, c.before ?? '', c.after, undefined, undefined, { context: 3 });
}

export function checkLines(result: RunResult): string[] {
  const drift = result.changes.filter((c) => c.drift);
  if (drift.length === 0) return ['up to date: regeneration would change nothing'];
  return ['drift: regeneration would change these files:', ...drift.map((c) => `  ${c.action.padEnd(LABEL_WIDTH)}${c.path}`)];
}

/** What holds the stack's license: the environment, or a non-empty BINDPLANE_LICENSE line in .env. */
export interface LicenseState {
  licensed: boolean;
}

/** One next step: its words, and the part of them a person types (coloured on a terminal). */
export interface Step {
  text: string;
  command?: string;
}

export interface NextSteps {
  heading: string;
  steps: Step[];
}

/**
 * Next steps after a run that wrote something, fitted to it: a new stack needs the license,
 * `make start`, the URL and where the password is; an update needs only the command that applies
 * it. `cwd` is where the person stands, so `cd` is said only when it is needed.
 */
export function nextSteps(result: RunResult, cwd: string, license: LicenseState): NextSteps {
  const a = result.answers;
  const before = result.previousAnswers;
  const where = path.relative(cwd, result.dest) || '.';
  const steps: Step[] = [];
  if (where !== '.') {
    const cd = `cd ${/[\s'"$]/.test(where) ? JSON.stringify(where) : where}`;
    steps.push({ text: cd, command: cd });
  }
  const kubernetes = a.platform === 'kubernetes';
  if (!license.licensed)
    steps.push({
      // Kubernetes takes the license only from .env (kustomize's secretGenerator), unquoted.
      text: kubernetes
        ? 'add your Bindplane license to .env as BINDPLANE_LICENSE=<license> (unquoted; make deploy reads it from there)'
        : 'add your Bindplane license to .env as BINDPLANE_LICENSE=<license> (or export BINDPLANE_LICENSE)',
      command: 'BINDPLANE_LICENSE=<license>',
    });
  const releaseChanged = before?.bindplaneVersion !== undefined && before.bindplaneVersion !== a.bindplaneVersion;
  if (kubernetes) {
    const why = releaseChanged
      ? "the chart's Deployments replace one pod at a time"
      : before
        ? 'applies the change'
        : 'applies the kustomization, then the chart, and waits';
    steps.push({ text: `make deploy: ${why}`, command: 'make deploy' });
    if (!before)
      steps.push({
        text: `make port-forward, then open http://localhost:${a.httpPort} (or ${a.remoteUrl} through your Ingress) and sign in as ${a.adminUsername}; the password is BINDPLANE_PASSWORD in .env`,
        command: 'make port-forward',
      });
  } else {
    if (releaseChanged) steps.push({ text: 'make upgrade: a backup, then one instance at a time', command: 'make upgrade' });
    else if (before) steps.push({ text: 'make start: applies the change, recreating only what changed', command: 'make start' });
    else steps.push({ text: 'make start: starts the stack and waits until every service is healthy', command: 'make start' });
    if (!before)
      steps.push({ text: `open ${a.remoteUrl} and sign in as ${a.adminUsername}; the password is BINDPLANE_PASSWORD in .env`, command: a.remoteUrl });
  }
  return { heading: before ? `done: updated the stack in ${where}` : `done: a new stack in ${where}`, steps };
}

/**
 * Whether a clean run that wrote nothing left edited files as the person has them (`keep`), as a
 * rerun after resolving conflicts does: it ends with the same next steps as an update, since the
 * files the person settled are not applied yet.
 */
export function keptEdits(result: RunResult): boolean {
  return result.mode === 'apply' && result.conflicts.length === 0 && result.changes.some((c) => c.action === 'keep') && !result.changes.some((c) => c.drift);
}

export function keptHeading(result: RunResult, cwd: string): string {
  return `done: the stack in ${path.relative(cwd, result.dest) || '.'} matches its answers, with your edits kept`;
}

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

/** Where an edge prints a run's result: a line at a time, coloured for a terminal. */
export interface Printer {
  out: (text: string) => void;
  color?: boolean;
}

/** The result of a run as the CLI and `yo` print it: notices, warnings, the plan, and what to do next. */
export async function printResult(result: RunResult, io: Printer): Promise<void> {
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

/** The one line a run without a terminal says when it answered questions with their defaults. */
export function tookDefaults(pending: readonly AnswerSpec[]): string {
  // The questions that matter first, as a terminal would have asked them.
  const ordered = [...pending.filter((s) => s.basic), ...pending.filter((s) => !s.basic)];
  const named = ordered.slice(0, 3).map((s) => `--${flagOf(s.name)}`);
  const more = pending.length > 3 ? ` and ${pending.length - 3} more` : '';
  return `no terminal to ask at: took the defaults for ${named.join(', ')}${more} (--defaults says so; flags or --answers choose)`;
}
