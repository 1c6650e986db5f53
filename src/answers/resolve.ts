// From layers of raw answers (flags, answers file, stored, prompts) to one valid Answers object.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { InputError } from '../errors.js';
import { fileContentProblem, keyPairProblem } from './file-content.js';
import { kubernetesRefusals } from './kubernetes.js';
import { ANSWERS, allowedText, flagOf, flagValueOf, specOf, URL_PATTERN, type AnswerName, type AnswerSpec, type AnswerValue, type Answers } from './schema.js';

export type Source = 'flag' | 'answers file' | '.yo-rc.json' | 'prompt' | 'library';

/** Raw values as they came in; `baseDir` resolves relative file paths. */
export interface Layer {
  source: Source;
  values: Record<string, unknown>;
  baseDir: string;
}

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

/** A file answer's path that leads outside the stack (stored ones are relative to it). */
export function isOutsideStack(dest: string, file: string): boolean {
  const rel = path.relative(dest, path.resolve(dest, file));
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel);
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

/** How a message names an answer: as the person gave it (a flag, a key of a file), never by an internal name. */
const where = (source: Source, name: string) =>
  source === 'flag'
    ? `--${flagOf(name)}`
    : source === 'answers file'
      ? `${name} in the answers file`
      : source === '.yo-rc.json'
        ? `${name} in .yo-rc.json`
        : source === 'prompt'
          ? ''
          : name;

const prefixed = (source: Source, name: string, text: string) => {
  const w = where(source, name);
  return w ? `${w}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
};

const show = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const t = JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
  return t;
};

/** Flags spell values in kebab-case; files, the record and the library use the table's names. */
const spelling = (source: Source) => (source === 'flag' ? 'flag' : 'value');

function bad(spec: AnswerSpec, source: Source, raw: unknown, why?: string): never {
  throw new InputError(prefixed(source, spec.name, `${why ?? `${show(raw)} is not allowed`}; use ${allowedText(spec.kind, spelling(source))}`), spec.name);
}

/** Turns one raw value into a typed answer value, or throws an InputError naming the answer. */
export function coerce(spec: AnswerSpec, raw: unknown, source: Source, baseDir: string, dest: string): AnswerValue {
  if (raw === null || raw === undefined || raw === '') bad(spec, source, raw, 'is empty');
  if (typeof raw === 'object') bad(spec, source, raw, `${Array.isArray(raw) ? 'a list' : 'a mapping'} is not allowed`);
  if (typeof raw === 'boolean') bad(spec, source, raw);
  const text = String(raw);
  const kind = spec.kind;
  switch (kind.type) {
    case 'int':
    case 'intEnum': {
      if (!/^\d{1,7}$/.test(text.trim())) bad(spec, source, raw);
      const n = Number(text.trim());
      if (kind.type === 'int' ? n < kind.min || n > kind.max : !kind.values.includes(n)) bad(spec, source, raw);
      return n;
    }
    case 'enum': {
      if (kind.values.includes(text)) return text;
      // The kebab-case spelling of flags (self-signed) is the same value (selfSigned).
      const kebab = kind.values.find((v) => flagValueOf(v) === text);
      if (kebab !== undefined) return kebab;
      // SELFSIGNED and self_signed are suggested; so are the words people use (k8s).
      const loose = (v: string) => v.toLowerCase().replace(/[-_\s]/g, '');
      const near = kind.values.find((v) => loose(v) === loose(text)) ?? kind.suggest?.[text.toLowerCase()] ?? didYouMean(text, kind.values);
      const shown = near === undefined ? undefined : spelling(source) === 'flag' ? flagValueOf(near) : near;
      return bad(spec, source, raw, shown ? `${show(raw)} is not allowed (did you mean ${shown}?)` : undefined);
    }
    case 'string': {
      if (text.length > kind.maxLength || !kind.pattern.test(text)) bad(spec, source, raw);
      return text;
    }
    case 'url': {
      if (text.length > 2048 || !URL_PATTERN.test(text)) bad(spec, source, raw);
      return text.replace(/\/$/, '');
    }
    case 'file': {
      // eslint-disable-next-line no-control-regex
      if (text.length > 4096 || /[\u0000-\u001f\u007f]/.test(text)) bad(spec, source, raw);
      const abs = path.resolve(baseDir, text);
      const rel = path.relative(dest, abs);
      // Stored paths stay portable: relative to the repository when inside it.
      return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
    }
  }
}

/** The closest known name, when one is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

export function unknownAnswer(key: string, source: Source): InputError {
  const shown = source === 'flag' ? `--${key}` : show(key);
  const names = source === 'flag' ? ANSWERS.map((s) => flagOf(s.name)) : ANSWERS.map((s) => s.name);
  const hint = didYouMean(key, names);
  return new InputError(
    `${shown} is not a known answer${source === 'flag' ? '' : ` (${source})`}. ${hint ? `Did you mean ${source === 'flag' ? `--${hint}` : hint}? ` : ''}Known answers: ${names.join(', ')}`,
    key,
  );
}

/** Keys that name a JavaScript object's own machinery, never an answer: refused wherever answers come from. */
const OBJECT_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function refuseObjectKey(key: string, where: string): void {
  if (OBJECT_KEYS.has(key))
    throw new InputError(`${where}: the key ${JSON.stringify(key)} is not an answer (it names JavaScript's object machinery); remove it`, key);
}

/** Combines layers (highest priority first), applies defaults, validates every value and the cross-field rules. */
export function resolveAnswers(layers: readonly Layer[], opts: ResolveOptions): Resolved {
  const given: Partial<Record<AnswerName, AnswerValue>> = {};
  const givenFrom: Partial<Record<AnswerName, Source>> = {};
  // Every wrong value is reported at once: fixing an answers file one error per run wears people out.
  const problems: InputError[] = [];
  for (const layer of [...layers].reverse()) {
    for (const [key, raw] of Object.entries(layer.values)) {
      if (key === '$schema' && layer.source === 'answers file') continue;
      refuseObjectKey(key, layer.source);
      const spec = specOf(key);
      try {
        if (!spec) throw unknownAnswer(key, layer.source);
        given[spec.name] = coerce(spec, raw, layer.source, layer.baseDir, opts.dest);
        givenFrom[spec.name] = layer.source;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        problems.push(e);
      }
    }
  }
  if (opts.givenOnly && !opts.skipFileChecks)
    for (const [name, value] of Object.entries(given) as [AnswerName, AnswerValue][]) {
      const spec = specOf(name)!;
      if (spec.kind.type !== 'file') continue;
      const problem = fileContentProblem(path.resolve(opts.dest, String(value)), spec.kind.content);
      if (problem) problems.push(new InputError(prefixed(givenFrom[name]!, name, `${show(value)} ${problem}; use ${allowedText(spec.kind)}`), name));
    }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1)
    throw new InputError(`${problems.length} answers are wrong:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`, problems[0]!.field);
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

function crossCheck(a: Answers, from: Partial<Record<AnswerName, Source>>, opts: ResolveOptions): void {
  // A value nobody gave (a default) is named by the flag that would change it.
  const src = (n: AnswerName) => from[n] ?? 'flag';
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
  const refused = kubernetesRefusals(a).map((r) =>
    from[r.answer] ? prefixed(src(r.answer), r.answer, `${r.why} (platform is kubernetes)`) : `${r.why} (a default; give --${flagOf(r.answer)} on kubernetes)`,
  );
  if (refused.length === 1) throw new InputError(refused[0]!, 'platform');
  if (refused.length > 1)
    throw new InputError(`${refused.length} answers do not work on kubernetes:\n${refused.map((r) => `  - ${r}`).join('\n')}`, 'platform');
  if (opts.skipFileChecks) return;
  for (const name of ['pubsubCredentialsFile', 'tlsCertFile', 'tlsKeyFile'] as const) {
    const file = a[name];
    const spec = specOf(name)!;
    if (!file || (spec.when && !spec.when(a)) || spec.kind.type !== 'file') continue;
    if (opts.copyExists?.(name) && !existsSync(path.resolve(opts.dest, file))) continue;
    // A committed .yo-rc.json may name any file on this machine: outside the stack, only this run's answer is read.
    if (src(name) === '.yo-rc.json' && isOutsideStack(opts.dest, file)) {
      if (opts.copyExists?.(name)) continue;
      if (existsSync(path.resolve(opts.dest, file)))
        throw new InputError(
          prefixed(
            src(name),
            name,
            `${show(file)} is outside the stack, and a file outside it is read only when you give it on this run: give it again with --${flagOf(name)} PATH (nothing was read)`,
          ),
          name,
        );
    }
    const problem = fileContentProblem(path.resolve(opts.dest, file), spec.kind.content);
    // A clone has only what was committed: a file outside the stack, and the git-ignored copies, stay behind.
    const again =
      src(name) === '.yo-rc.json' && problem === 'does not exist'
        ? ` on this machine; give it again with --${flagOf(name)} PATH (a clone has only what was committed, and the copies in local/ are git-ignored)`
        : '';
    if (problem) throw new InputError(prefixed(src(name), name, `${show(file)} ${problem}${again}; use ${allowedText(spec.kind)}`), name);
  }
  if (
    a.tls === 'provided' &&
    a.tlsCertFile &&
    a.tlsKeyFile &&
    existsSync(path.resolve(opts.dest, a.tlsCertFile)) &&
    existsSync(path.resolve(opts.dest, a.tlsKeyFile))
  ) {
    const problem = keyPairProblem(path.resolve(opts.dest, a.tlsCertFile), path.resolve(opts.dest, a.tlsKeyFile));
    if (problem)
      throw new InputError(
        prefixed(src('tlsKeyFile'), 'tlsKeyFile', `${show(a.tlsKeyFile)} ${problem} ${show(a.tlsCertFile)}; give the key the certificate was made for`),
        'tlsKeyFile',
      );
  }
}
