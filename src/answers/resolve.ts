// From layers of raw answers (flags, answers file, stored, prompts) to one valid Answers object.
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { prefixed, show, type Source } from './coerce.js';
import { fileContentProblem, keyPairProblem } from './file-content.js';
import { kubernetesRefusals } from './kubernetes.js';
import { mergeLayers, throwProblems, type Layer } from './layers.js';
import { filePathOf, fileShown, isOutsideStack } from './stack-paths.js';
import { ANSWERS, allowedText, flagOf, specOf, type AnswerName, type AnswerValue, type Answers } from './schema.js';

export interface Resolved {
  answers: Answers;
  /** What is stored in .yo-rc.json: everything given, plus fixed defaults; derived defaults only when given. */
  stored: Partial<Answers>;
  /** Required answers that no layer gave. */
  missing: AnswerName[];
  /** Answers whose value came from what the repository stored, not from this run. */
  fromStored: AnswerName[];
  /** Answers a stack from an older generator lacks, which keep their legacy value (see AnswerSpec.legacyDefault). */
  legacy: AnswerName[];
  /** Stored file answers outside the stack: never read again unless given on this run (their copy stands in). */
  unread: AnswerName[];
}

export interface ResolveOptions {
  /** Folder the repository is generated into; stored file paths inside it are kept relative. */
  dest: string;
  /** Files that already hold a copy of a file answer (they let a clean clone regenerate without the source). */
  copyExists?: (name: AnswerName) => boolean;
  /** Skip checks of files on this machine (used by --check, which must not fail for a missing source). */
  skipFileChecks?: boolean;
  /** Check only the values given (each alone, and the files they name), not the rules that need answers still to come (before the questions). */
  givenOnly?: boolean;
}

/** Combines layers (highest priority first), applies defaults, validates every value and the cross-field rules. */
export function resolveAnswers(layers: readonly Layer[], opts: ResolveOptions): Resolved {
  const { values: given, from: givenFrom, problems } = mergeLayers(layers, opts.dest);
  if (opts.givenOnly && !opts.skipFileChecks)
    for (const [name, value] of Object.entries(given) as [AnswerName, AnswerValue][]) {
      const spec = specOf(name)!;
      if (spec.kind.type !== 'file') continue;
      const problem = fileContentProblem(filePathOf(opts.dest, String(value)), spec.kind.content);
      if (problem) problems.push(new InputError(prefixed(givenFrom[name]!, name, `${show(value)} ${problem}; use ${allowedText(spec.kind)}`), name));
    }
  throwProblems(problems);
  const answers: Record<string, AnswerValue> = {};
  const stored: Record<string, AnswerValue> = {};
  const missing: AnswerName[] = [];
  const legacy: AnswerName[] = [];
  // A stack exists when its stored answers are a layer: what it lacks it had no answer for.
  const existingStack = layers.some((l) => l.source === '.yo-rc.json');
  for (const spec of ANSWERS) {
    const applies = spec.when ? spec.when(answers as Partial<Answers>) : true;
    const value = given[spec.name];
    if (value !== undefined) {
      answers[spec.name] = value;
      stored[spec.name] = value;
    } else if (!applies) {
      continue;
    } else if (existingStack && spec.legacyDefault !== undefined) {
      answers[spec.name] = spec.legacyDefault;
      legacy.push(spec.name);
    } else if (typeof spec.default === 'function') {
      answers[spec.name] = spec.default(answers as Partial<Answers>, { dest: opts.dest });
      if (spec.keepDerived) stored[spec.name] = answers[spec.name]!;
    } else if (spec.default !== undefined) {
      answers[spec.name] = spec.default;
      stored[spec.name] = spec.default;
    } else if (spec.required) {
      missing.push(spec.name);
    }
  }
  const fromStored = (Object.keys(answers) as AnswerName[]).filter((n) => givenFrom[n] === '.yo-rc.json');
  const unread = fromStored.filter((n) => specOf(n)!.kind.type === 'file' && isOutsideStack(opts.dest, String(answers[n])));
  const result = { answers: answers as unknown as Answers, stored: stored as Partial<Answers>, missing, fromStored, legacy, unread };
  if (missing.length === 0 && !opts.givenOnly) crossCheck(result.answers, givenFrom, opts);
  return result;
}

/** PostgreSQL releases Bindplane no longer supports (docs.bindplane.com, PostgreSQL page: 14 to 18 are). */
export const UNSUPPORTED_POSTGRES = ['13'];
export const postgresMajor = (v: string) => v.split('.')[0]!;

type SourceOf = (n: AnswerName) => Source;

function crossCheck(a: Answers, from: Partial<Record<AnswerName, Source>>, opts: ResolveOptions): void {
  // A value nobody gave (a default) is named by the flag that would change it.
  const src: SourceOf = (n) => from[n] ?? 'flag';
  checkValues(a, from, src);
  checkKubernetes(a, from, src);
  if (opts.skipFileChecks) return;
  checkFiles(a, src, opts);
  checkKeyPair(a, src, opts);
}

/** Answers that are each valid but do not go together, or no longer go with Bindplane. */
function checkValues(a: Answers, from: Partial<Record<AnswerName, Source>>, src: SourceOf): void {
  // A stack that has it keeps it (upgradeNotices warns); a new answer may not choose it.
  if (UNSUPPORTED_POSTGRES.includes(postgresMajor(a.postgresVersion)) && from.postgresVersion !== '.yo-rc.json')
    throw new InputError(
      prefixed(
        src('postgresVersion'),
        'postgresVersion',
        `PostgreSQL ${a.postgresVersion} is no longer supported by Bindplane (14 to 18 are); use ${allowedText(specOf('postgresVersion')!.kind)}`,
      ),
      'postgresVersion',
    );
  if (a.tls !== 'none' && a.remoteUrl.startsWith('http:') && from.remoteUrl)
    throw new InputError(prefixed(src('remoteUrl'), 'remoteUrl', `${show(a.remoteUrl)} uses http:// but tls is ${a.tls}; use an https:// URL`), 'remoteUrl');
  if (a.tls === 'none' && a.remoteUrl.startsWith('https:') && from.remoteUrl)
    throw new InputError(
      prefixed(src('remoteUrl'), 'remoteUrl', `${show(a.remoteUrl)} uses https:// but tls is none; use an http:// URL or turn tls on`),
      'remoteUrl',
    );
}

function checkKubernetes(a: Answers, from: Partial<Record<AnswerName, Source>>, src: SourceOf): void {
  const refused = kubernetesRefusals(a).map((r) =>
    from[r.answer] ? prefixed(src(r.answer), r.answer, `${r.why} (platform is kubernetes)`) : `${r.why} (a default; give --${flagOf(r.answer)} on kubernetes)`,
  );
  if (refused.length === 1) throw new InputError(refused[0]!, 'platform');
  if (refused.length > 1)
    throw new InputError(`${refused.length} answers do not work on kubernetes:\n${refused.map((r) => `  - ${r}`).join('\n')}`, 'platform');
}

/** The answers that name a file, in the table's order. */
const FILE_ANSWERS = ANSWERS.filter((s) => s.kind.type === 'file');

/** The file answers: each must exist and hold what it says; a stored one outside the stack is not read. */
function checkFiles(a: Answers, src: SourceOf, opts: ResolveOptions): void {
  for (const spec of FILE_ANSWERS) {
    const name = spec.name;
    const file = a[name] as string | undefined;
    if (!file || (spec.when && !spec.when(a)) || spec.kind.type !== 'file') continue;
    // A clone lacks a stored answer's source, and its copy stands in; a file given on this run must be there.
    if (src(name) === '.yo-rc.json' && opts.copyExists?.(name) && !existsSync(filePathOf(opts.dest, file))) continue;
    // A committed .yo-rc.json may name any file on this machine: outside the stack, only this run's answer is read.
    if (src(name) === '.yo-rc.json' && isOutsideStack(opts.dest, file)) {
      if (opts.copyExists?.(name)) continue;
      if (existsSync(filePathOf(opts.dest, file)))
        throw new InputError(
          prefixed(
            src(name),
            name,
            `${fileShown(opts.dest, file)} is outside the stack, and a file outside it is read only when you give it on this run: give it again with --${flagOf(name)} PATH (nothing was read)`,
          ),
          name,
        );
    }
    const problem = fileContentProblem(filePathOf(opts.dest, file), spec.kind.content);
    // A clone has only what was committed: a file outside the stack, and the git-ignored copies, stay behind.
    const again =
      src(name) === '.yo-rc.json' && problem === 'does not exist'
        ? ` on this machine; give it again with --${flagOf(name)} PATH (a clone has only what was committed, and the copies in local/ are git-ignored)`
        : '';
    if (problem) throw new InputError(prefixed(src(name), name, `${show(file)} ${problem}${again}; use ${allowedText(spec.kind)}`), name);
  }
}

/** A provided certificate and key must belong together. */
function checkKeyPair(a: Answers, src: SourceOf, opts: ResolveOptions): void {
  if (
    a.tls === 'provided' &&
    a.tlsCertFile &&
    a.tlsKeyFile &&
    existsSync(filePathOf(opts.dest, a.tlsCertFile)) &&
    existsSync(filePathOf(opts.dest, a.tlsKeyFile))
  ) {
    const problem = keyPairProblem(filePathOf(opts.dest, a.tlsCertFile), filePathOf(opts.dest, a.tlsKeyFile));
    if (problem)
      throw new InputError(
        prefixed(src('tlsKeyFile'), 'tlsKeyFile', `${show(a.tlsKeyFile)} ${problem} ${show(a.tlsCertFile)}; give the key the certificate was made for`),
        'tlsKeyFile',
      );
  }
}
