// `yo bindplane-distributed`: a thin Yeoman edge over the engine. (Yeoman runs every public method
// as a task, so helpers start with an underscore.) It adds prompts and Yeoman's
// conventions; the engine writes the files itself in the writing stage, in one transaction with
// the answers, so Yeoman's conflicter never prompts for untouched files.
import path from 'node:path';
import Generator from 'yeoman-generator';
import { pendingQuestions, promptDefault, promptMessage, validatePrompt } from '../../src/answers/questions.js';
import { coerce, didYouMean, type Layer } from '../../src/answers/resolve.js';
import { ANSWERS, flagOf, type AnswerValue, type Answers } from '../../src/answers/schema.js';
import { loadAnswersFile } from '../../src/cli/answers-file.js';
import { printResult } from '../../src/cli/main.js';
import { run, storedLayer, type Mode, type RunResult } from '../../src/engine.js';
import { InputError, StateError } from '../../src/errors.js';

type Options = Record<string, unknown>;

/** Keys Yeoman and yo put into a generator's options besides the declared ones. */
const YEOMAN_INTERNAL_OPTIONS = ['_', '_meta', 'env', 'resolved', 'namespace', 'sharedData', 'forwardErrorToEnvironment', 'skipLocalCache', 'localConfigOnly', 'skipParseOptions', 'customPriorities', 'layers', 'dest', 'insight', 'interactive'];

export default class BindplaneDistributedGenerator extends Generator {
  private layers: Layer[] = [];
  private prompted: Record<string, AnswerValue> = {};
  private result?: RunResult;
  private failed = false;
  private root = '';

  constructor(args: string[], options: Options) {
    super(args, options as never);
    this.argument('dest', { type: String, required: false, description: 'Folder to generate into (default: the current folder)' });
    this.option('answers', { type: String, description: 'Answers in YAML or JSON, full or partial' });
    this.option('defaults', { type: Boolean, description: 'Never ask: unanswered questions take their stored or default value' });
    this.option('check', { type: Boolean, description: 'Write nothing; exit 1 when regeneration would change anything' });
    this.option('dry-run', { type: Boolean, description: 'Show the plan with diffs; write nothing' });
    this.option('force', { type: Boolean, description: 'Replace edited files and files the generator did not write' });
    // Repeatable: keep every value instead of String()-joining them.
    this.option('restore', { type: ((v: string | string[]) => ([] as string[]).concat(v)) as never, description: 'Write a generated file you deleted again (repeatable)' });
    // Ask questions only with a terminal on stdin; tests with mocked answers turn it on.
    this.option('interactive', { type: Boolean, hide: true, description: 'Ask unanswered questions (default: when stdin is a terminal)' });
    for (const a of ANSWERS) this.option(flagOf(a.name), { type: String, description: a.message });
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
    const declared = (this as unknown as { _options?: Record<string, { alias?: string }> })._options ?? {};
    const known = new Set<string>(YEOMAN_INTERNAL_OPTIONS);
    for (const [name, spec] of Object.entries(declared)) {
      known.add(name);
      known.add(name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
      if (spec.alias) known.add(spec.alias);
    }
    for (const key of Object.keys(options)) {
      if (known.has(key)) continue;
      const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      const hint = didYouMean(flag, Object.keys(declared));
      throw new InputError(`--${flag} is not a known option${hint ? `; did you mean --${hint}?` : ''} (see --help)`, flag);
    }
  }

  async initializing(): Promise<void> {
    try {
      this._checkFlags();
      this.root = path.resolve(this.destinationRoot(), String(this._opt('dest') ?? '.'));
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
    if (this.failed || this._opt('defaults') || this._mode !== 'apply' || !interactive) return;
    try {
      const stored = storedLayer(this.root);
      const all = stored ? [...this.layers, stored] : this.layers;
      const pending = new Set(pendingQuestions(this.layers, stored, this.root, true).map((s) => s.name));
      // What is known so far decides which later questions apply (eventBus, tls, demoAgents).
      const known: Record<string, AnswerValue> = {};
      for (const spec of ANSWERS) {
        const layer = all.find((l) => spec.name in l.values);
        if (layer) {
          known[spec.name] = coerce(spec, layer.values[spec.name], layer.source, layer.baseDir, this.root);
          continue;
        }
        if (!pending.has(spec.name) || (spec.when && !spec.when(known as Partial<Answers>))) continue;
        const def = promptDefault(spec, known as Partial<Answers>, this.root);
        const kind = spec.kind;
        const question =
          kind.type === 'enum' || kind.type === 'intEnum'
            ? { type: 'select', name: spec.name, message: promptMessage(spec), choices: kind.values.map((v) => ({ name: String(v), value: String(v) })), default: def === undefined ? undefined : String(def) }
            : { type: 'input', name: spec.name, message: promptMessage(spec), default: def === undefined ? undefined : String(def), validate: (v: string) => validatePrompt(spec, v, this.root) };
        const value = ((await this.prompt([question as never])) as Record<string, string>)[spec.name];
        if (value === '' || value === undefined) continue;
        const typed = coerce(spec, value, 'prompt', process.cwd(), this.root);
        known[spec.name] = typed;
        // A derived answer accepted as proposed stays derived, so it follows its sources later.
        if (typeof spec.default === 'function' && typed === def) continue;
        this.prompted[spec.name] = typed;
      }
    } catch (e) {
      this._fail(e);
    }
  }

  async writing(): Promise<void> {
    if (this.failed) return;
    try {
      const restore = this._opt('restore');
      this.result = await run({
        dest: this.root,
        layers: [...this.layers, { source: 'prompt', values: this.prompted, baseDir: process.cwd() }],
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
    await printResult(this.result, { out: (t) => this.log(t) });
    if (this.result.exitCode !== 0) process.exitCode = this.result.exitCode;
  }
}
