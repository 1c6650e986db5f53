// The question flow, one for the CLI and for `yo`: the few questions that matter first (the
// `basic` answers of the table: instances, event bus, TLS, and what those require), then one
// "Adjust advanced settings?" that opens the rest, then a summary to confirm before anything is
// written. The edges bring the prompts (Inquirer's in the CLI, Yeoman's in the generator).
import { openQuestions, promptDefault, promptMessage, storedOutsideFiles, validatePrompt } from './questions.js';
import { InputError } from '../errors.js';
import { wrapWords } from '../wrap.js';
import { kubernetesRefusals } from './kubernetes.js';
import { plainHttpEverywhere } from './plain-http.js';
import { unverifiedPostgresOf } from './unverified-postgres.js';
import { coerce } from './coerce.js';
import { mergedValues, withStored, type Layer } from './layers.js';
import { resolveAnswers } from './resolve.js';
import { fileShown } from './stack-paths.js';
import { ANSWERS, flagOf, type AnswerSpec, type AnswerValue, type Answers } from './schema.js';

export interface Choice {
  value: string;
  name: string;
}

/** One prompt library, as the flow uses it. Each call asks one question and resolves to the answer. */
export interface Asker {
  input(q: { name: string; message: string; default?: string; validate: (value: string) => true | string }): Promise<string>;
  select(q: { name: string; message: string; choices: Choice[]; default?: string }): Promise<string>;
  confirm(q: { name: string; message: string; default: boolean }): Promise<boolean>;
  /** Shows lines that are not a question (the summary). */
  say(text: string): void;
}

export interface FlowOptions {
  /** Answers given for this run (flags, answers file): never asked. */
  layers: readonly Layer[];
  /** What the stack stored, if it exists. */
  stored?: Layer;
  dest: string;
  /** Ask the stored answers again, with them as the defaults (yo's --ask-answered). */
  askAnswered?: boolean;
  /** The terminal's width, which the summary fits (80 when unknown). */
  columns?: number;
}

/** A person ended the questions (Ctrl-C, or no at the summary): nothing is written. Exit 130. */
export class Cancelled extends Error {
  readonly exitCode = 130;
  constructor() {
    super('Cancelled');
    this.name = 'Cancelled';
  }
}

/**
 * Whether an error is the person's end of the questions: Cancelled, or Ctrl-C in a prompt
 * (Inquirer's ExitPromptError, also behind Yeoman's prompts). By name, since the CLI's bundle and
 * its prompts module each hold their own copy of the class.
 */
export function isCancel(e: unknown): boolean {
  return e instanceof Error && ['Cancelled', 'ExitPromptError', 'AbortPromptError'].includes(e.name);
}

export const ADVANCED_QUESTION = 'Adjust advanced settings: platform, project name, releases, registry, PostgreSQL, Prometheus, ports, URL, agents?';
export const CONFIRM_QUESTION = 'Write the stack with these answers?';

/** The answers to ask, in asking order: the basic ones, then the advanced ones. */
function questionsToAsk(opts: FlowOptions): { basic: AnswerSpec[]; advanced: AnswerSpec[] } {
  const given = new Set(opts.layers.flatMap((l) => Object.keys(l.values)));
  const pending = new Set(
    opts.askAnswered ? ANSWERS.filter((s) => !given.has(s.name)).map((s) => s.name) : openQuestions(opts.layers, opts.stored).map((s) => s.name),
  );
  const specs = ANSWERS.filter((s) => pending.has(s.name));
  return { basic: specs.filter((s) => s.basic), advanced: specs.filter((s) => !s.basic) };
}

/**
 * Asks what is still open and returns the typed answers to add as the 'prompt' layer. Throws
 * Cancelled when the person declines the summary; a prompt's own Ctrl-C error passes through.
 */
export async function askQuestions(ask: Asker, opts: FlowOptions): Promise<Record<string, AnswerValue>> {
  const { basic, advanced } = questionsToAsk(opts);
  const prompted: Record<string, AnswerValue> = {};
  const known = knownAnswers(opts);
  if (basic.length === 0 && advanced.length === 0) return confirmOutsideFiles(ask, known, prompted, opts);
  const applies = (spec: AnswerSpec) => !spec.when || spec.when(known as Partial<Answers>);
  let asked = 0;
  // Inline, with no extra await level: yo's prompt adapter races this flow to a Ctrl-C (see the generator's prompting).
  const askAll = async (specs: AnswerSpec[]) => {
    for (const spec of specs) {
      if (!applies(spec)) continue;
      asked++;
      const value = await askOne(ask, spec, known, opts);
      if (value === undefined) {
        delete known[spec.name];
        continue;
      }
      const proposed = promptDefault(spec, known as Partial<Answers>, opts.dest);
      known[spec.name] = value;
      await settleWithPlatform(ask, known, prompted, opts);
      // A derived answer accepted as proposed stays derived, so it follows its sources later.
      if (typeof spec.default === 'function' && value === proposed && !opts.stored?.values[spec.name]) continue;
      prompted[spec.name] = value;
    }
  };
  await askAll(basic);
  if (advanced.some(applies)) {
    asked++;
    if (await ask.confirm({ name: 'advanced', message: ADVANCED_QUESTION, default: false })) await askAll(advanced);
  }
  await confirmOutsideFiles(ask, known, prompted, opts);
  if (asked === 0) return prompted;
  // Prompted file answers are already relative to the stack (see askOne), so the stack is their base.
  ask.say(summary({ ...opts, layers: [...opts.layers, { source: 'prompt', values: prompted, baseDir: opts.dest }] }));
  if (!(await ask.confirm({ name: 'confirm', message: CONFIRM_QUESTION, default: true }))) throw new Cancelled();
  return prompted;
}

/** The question for a stored file outside the stack: read it again on this run? */
export const readAgainQuestion = (spec: AnswerSpec, dest: string, file: string) =>
  `${spec.message}: read ${fileShown(dest, file)} again? It is outside the stack, so it is read only when you say so`;

/**
 * Stored file answers outside the stack (a committed .yo-rc.json may name any file of this
 * machine) are read only when the person says so: yes makes the answer this run's; no leaves it
 * unread (its copy in local/ stands in, or the run refuses it and names the flag).
 */
async function confirmOutsideFiles(
  ask: Asker,
  known: Record<string, AnswerValue>,
  prompted: Record<string, AnswerValue>,
  opts: FlowOptions,
): Promise<Record<string, AnswerValue>> {
  const stored = storedOutsideFiles(opts.layers, opts.stored, opts.dest, known as Partial<Answers>);
  for (const spec of stored.filter((s) => !Object.hasOwn(prompted, s.name))) {
    const file = String(known[spec.name]);
    if (await ask.confirm({ name: `${spec.name}ReadAgain`, message: readAgainQuestion(spec, opts.dest, file), default: false })) prompted[spec.name] = file;
  }
  return prompted;
}

/**
 * An answer given before the platform that the platform refuses (the event bus is asked first,
 * Kafka then Kubernetes): asked again now, with the reason, rather than refused after every
 * question; given by flag or file, it is refused at once.
 */
async function settleWithPlatform(ask: Asker, known: Record<string, AnswerValue>, prompted: Record<string, AnswerValue>, opts: FlowOptions): Promise<void> {
  for (;;) {
    const refused = kubernetesRefusals(known as Partial<Answers>).find((r) => r.answer !== 'platform' && Object.hasOwn(known, r.answer));
    if (!refused) return;
    const spec = ANSWERS.find((s) => s.name === refused.answer)!;
    if (!Object.hasOwn(prompted, refused.answer)) throw new InputError(`--${flagOf(refused.answer)}: ${refused.why} (platform is kubernetes)`, refused.answer);
    ask.say(refused.why);
    const value = await askOne(ask, spec, { ...known, [spec.name]: undefined as never }, opts);
    if (value === undefined) delete known[spec.name];
    else known[spec.name] = prompted[spec.name] = value;
    if (value === undefined) delete prompted[spec.name];
  }
}

/** What is known before asking: the given layers, then (unless asked again) the stored answers; in the table's order. */
function knownAnswers(opts: FlowOptions): Record<string, AnswerValue> {
  const given = mergedValues(withStored(opts.layers, opts.stored), opts.dest);
  const known: Record<string, AnswerValue> = {};
  for (const spec of ANSWERS) if (Object.hasOwn(given, spec.name)) known[spec.name] = given[spec.name]!;
  return known;
}

async function askOne(ask: Asker, spec: AnswerSpec, known: Record<string, AnswerValue>, opts: FlowOptions): Promise<AnswerValue | undefined> {
  // Asked again (--ask-answered): the stored answer is the default.
  const current = known[spec.name] ?? promptDefault(spec, known as Partial<Answers>, opts.dest);
  const def = current === undefined ? undefined : String(current);
  const message = promptMessage(spec);
  const kind = spec.kind;
  const raw =
    kind.type === 'enum' || kind.type === 'intEnum'
      ? await ask.select({
          name: spec.name,
          message,
          choices: kind.values.map((v) => ({ value: String(v), name: spec.labels?.[String(v)] ?? String(v) })),
          default: def,
        })
      : await ask.input({ name: spec.name, message, default: def, validate: (v) => validatePrompt(spec, v, opts.dest, known as Partial<Answers>) });
  if (raw === '' || raw === undefined) return undefined;
  return coerce(spec, raw, 'prompt', process.cwd(), opts.dest);
}

/** The answers the stack will be written with, one a line, for the person to confirm. */
export function summary(opts: FlowOptions): string {
  const { answers } = resolveAnswers(withStored(opts.layers, opts.stored), { dest: opts.dest, skipFileChecks: true });
  const rows = ANSWERS.filter((s) => answers[s.name] !== undefined && (!s.when || s.when(answers))).map((s) => {
    const value = String(answers[s.name]);
    return [s.message, s.labels?.[value] ?? value] as const;
  });
  const width = Math.max(...rows.map(([m]) => m.length));
  const columns = opts.columns && opts.columns > 0 ? opts.columns : 80;
  const aligned = rows.map(([m, v]) => `  ${m.padEnd(width)}  ${v}`);
  // One row a line when every row fits the terminal; else each answer on its own line and its value
  // below it, wrapped (the questions are too long for a column of their own on a narrow terminal).
  const stacked = () => rows.flatMap(([m, v]) => [...wrapWords(m, columns - 2).map((l) => `  ${l}`), ...wrapWords(v, columns - 6).map((l) => `      ${l}`)]);
  const lines = aligned.every((l) => l.length <= columns) ? aligned : stacked();
  const warnings = [plainHttpEverywhere(answers), unverifiedPostgresOf(answers)].filter((w) => w !== undefined);
  const warning = warnings.flatMap((w) => wrapWords(`Warning: ${w}`, columns - 2).map((l) => `  ${l}`));
  return ['', ...wrapWords(`The stack in ${opts.dest}:`, columns), ...lines, ...warning, ''].join('\n');
}
