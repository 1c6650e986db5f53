// `yo bindplane-distributed`: a thin Yeoman edge over the run (src/run/). (Yeoman runs every public method
// as a task, so helpers start with an underscore.) It adds Yeoman's prompts to the question flow
// of src/answers/flow.ts and Yeoman's conventions; the run writes the files itself in the
// writing stage, in one transaction with the answers, so Yeoman's conflicter never prompts for
// untouched files. scripts/bundle-cli.mjs bundles this file with yeoman-generator, so the package
// needs no dependency on it; `yo` brings the environment.
import Generator from 'yeoman-generator';
import { askQuestions, isCancel, type Asker } from '../../src/answers/flow.js';
import { didYouMean } from '../../src/answers/coerce.js';
import type { Layer } from '../../src/answers/layers.js';
import { ANSWERS, flagOf, type AnswerSpec, type AnswerValue } from '../../src/answers/schema.js';
import { loadAnswersFile } from '../../src/edges/answers-file.js';
import { locateDestination } from '../../src/edges/locate.js';
import { cancellableQuestions } from '../../src/edges/cancel.js';
import { printResult, tookDefaults } from '../../src/report.js';
import { defaultedQuestions, preflight, run, storedLayer, type Mode, type RunResult } from '../../src/run/index.js';
import { InputError, StateError } from '../../src/errors.js';

type Options = Record<string, unknown>;

/** The options yeoman-generator declares for every generator (and the alias of help). */
const YEOMAN_OWN_OPTIONS = ['help', 'h', 'skip-cache', 'skip-install', 'force-install', 'ask-answered'];

/** Keys Yeoman and yo put into a generator's options besides the declared ones. */
const YEOMAN_INTERNAL_OPTIONS = [
  '_',
  '_meta',
  'env',
  'resolved',
  'namespace',
  'sharedData',
  'forwardErrorToEnvironment',
  'skipLocalCache',
  'localConfigOnly',
  'skipParseOptions',
  'customPriorities',
  'layers',
  'dest',
  'insight',
  'interactive',
];

export default class BindplaneDistributedGenerator extends Generator {
  /** Every option declared, Yeoman's own included. Filled in the constructor, before field initializers would run. */
  declare private declared: Set<string>;
  private layers: Layer[] = [];
  private prompted: Record<string, AnswerValue> = {};
  /** Questions answered with their defaults because there was no terminal. */
  private defaulted: AnswerSpec[] = [];
  private result?: RunResult;
  private failed = false;
  private root = '';

  constructor(args: string[], options: Options) {
    // Yeoman's package-manager install step does not apply (the stack has no package.json): off, and with it its "No change to package.json" line.
    super(args, options as never, { customInstallTask: true });
    this.declared = new Set(YEOMAN_OWN_OPTIONS);
    this.argument('dest', {
      type: String,
      required: false,
      description: 'Folder of the stack (default: the stack that holds the current folder, else the current folder)',
    });
    this._declare('answers', { type: String, description: 'Answers in YAML or JSON, full or partial' });
    this._declare('defaults', { type: Boolean, description: 'Never ask: unanswered questions take their stored or default value' });
    this._declare('check', { type: Boolean, description: 'Write nothing; exit 1 when regeneration would change anything' });
    this._declare('dry-run', { type: Boolean, description: 'Show the plan with diffs; write nothing' });
    this._declare('force', { type: Boolean, description: 'Replace edited files and files the generator did not write' });
    // Repeatable: keep every value instead of String()-joining them.
    this._declare('restore', {
      type: ((v: string | string[]) => ([] as string[]).concat(v)) as never,
      description: 'Write a generated file you deleted again (repeatable)',
    });
    // Ask questions only with a terminal on stdin; tests with mocked answers turn it on.
    this._declare('interactive', { type: Boolean, hide: true, description: 'Ask unanswered questions (default: when stdin is a terminal)' });
    for (const a of ANSWERS) this._declare(flagOf(a.name), { type: String, description: a.message });
  }

  /** Declares an option and remembers it, for the check of misspelt flags. */
  private _declare(name: string, config: Parameters<Generator['option']>[1]): void {
    this.declared.add(name);
    this.option(name, config);
  }

  private _opt(name: string): unknown {
    const o = this.options as Options;
    const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    return o[name] ?? o[camel];
  }

  private get _mode(): Mode {
    return this._opt('check') ? 'check' : this._opt('dry-run') ? 'dry-run' : 'apply';
  }

  private _fail(e: unknown): void {
    if (e instanceof InputError || e instanceof StateError) {
      process.stderr.write(`bindplane-distributed: ${e.message}\n`);
      process.exitCode = e.exitCode;
      this.failed = true;
      return;
    }
    throw e;
  }

  /** yo ignores unknown flags; a typo would silently fall back to a default, so refuse it. */
  private _checkFlags(): void {
    const options = this.options as Options;
    // Only options parsed from a command line (yo's minimist leaves `_`) carry the person's typing.
    if (!Array.isArray(options._)) return;
    const known = new Set<string>(YEOMAN_INTERNAL_OPTIONS);
    for (const name of this.declared) {
      known.add(name);
      known.add(name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    }
    for (const key of Object.keys(options)) {
      if (known.has(key)) continue;
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      const hint = didYouMean(
        flag,
        [...this.declared].filter((n) => n.length > 1),
      );
      throw new InputError(`--${flag} is not a known option${hint ? `; did you mean --${hint}?` : ''} (see --help)`, flag);
    }
  }

  async initializing(): Promise<void> {
    try {
      this._checkFlags();
      // As the CLI: from inside a stack, that stack; a destination inside one is refused.
      const dest = this._opt('dest');
      const located = locateDestination(this.destinationRoot(), dest === undefined ? undefined : String(dest));
      if (located.note) process.stderr.write(`${located.note}\n`);
      this.root = located.root;
      const given = this._opt('layers');
      if (Array.isArray(given)) {
        this.layers = given as Layer[];
        return;
      }
      const flags: Record<string, unknown> = {};
      for (const a of ANSWERS) {
        const v = this._opt(flagOf(a.name));
        if (v !== undefined) flags[a.name] = v;
      }
      this.layers = [{ source: 'flag', values: flags, baseDir: process.cwd() }];
      const file = this._opt('answers');
      if (typeof file === 'string') this.layers.push(await loadAnswersFile(file, process.cwd()));
    } catch (e) {
      this._fail(e);
    }
  }

  async prompting(): Promise<void> {
    const interactive = (this._opt('interactive') as boolean | undefined) ?? Boolean(process.stdin.isTTY);
    if (this.failed || this._opt('defaults') || this._mode !== 'apply') return;
    if (!interactive) {
      this.defaulted = defaultedQuestions(this.layers, this.root);
      return;
    }
    try {
      // What would refuse the run whatever the answers is said before the first question.
      preflight({ dest: this.root, force: Boolean(this._opt('force')), layers: this.layers });
      this.prompted = await cancellableQuestions(() =>
        askQuestions(this._asker(), {
          layers: this.layers,
          stored: storedLayer(this.root),
          dest: this.root,
          askAnswered: this._opt('ask-answered') === true,
          columns: process.stdout.columns,
        }),
      );
    } catch (e) {
      if (!isCancel(e)) return this._fail(e);
      // Nothing is written yet. Yeoman's prompt adapter also fails the whole run on Ctrl-C, and yo
      // would then print that failure and exit 1: end here, as a cancelled command does.
      process.stderr.write('Cancelled\n');
      process.exit(130);
    }
  }

  /** Yeoman's prompts (so yeoman-test's mocked answers reach the flow), one question at a time. */
  private _asker(): Asker {
    const one = async <T>(question: Record<string, unknown>): Promise<T> =>
      ((await this.prompt([question as never])) as Record<string, T>)[question.name as string]!;
    return {
      input: (q) => one<string>({ type: 'input', ...q }),
      select: (q) => one<string>({ type: 'select', ...q }),
      confirm: (q) => one<boolean>({ type: 'confirm', ...q }),
      say: (text) => process.stdout.write(`${text}\n`),
    };
  }

  async writing(): Promise<void> {
    if (this.failed) return;
    try {
      const restore = this._opt('restore');
      this.result = await run({
        dest: this.root,
        // Prompted file answers come back relative to the stack.
        layers: [...this.layers, { source: 'prompt', values: this.prompted, baseDir: this.root }],
        mode: this._mode,
        force: Boolean(this._opt('force')),
        restore: (Array.isArray(restore) ? restore.map(String) : typeof restore === 'string' ? [restore] : []).filter((r) => r !== ''),
      });
    } catch (e) {
      this._fail(e);
    }
  }

  async end(): Promise<void> {
    if (this.failed || !this.result) return;
    if (this.defaulted.length > 0) process.stderr.write(`${tookDefaults(this.defaulted)}\n`);
    // The plan is the run's output: on stdout, so `yo bindplane-distributed --dry-run > plan.diff` keeps it (Yeoman's log is stderr).
    await printResult(this.result, { out: (t) => process.stdout.write(`${t}\n`) });
    if (this.result.exitCode !== 0) process.exitCode = this.result.exitCode;
  }
}
