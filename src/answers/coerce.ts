// One raw answer value, from wherever it came, to a typed value of the answer table, or an
// InputError that names the answer as the person gave it (a flag, a key of a file).
import { distance } from 'fastest-levenshtein';
import { InputError } from '../errors.js';
import { filePathOf, storedFilePath } from './stack-paths.js';
import { ANSWERS, allowedText, flagOf, flagValueOf, URL_PATTERN, type AnswerSpec, type AnswerValue } from './schema.js';

export type Source = 'flag' | 'answers file' | '.yo-rc.json' | 'prompt' | 'library';

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

export const prefixed = (source: Source, name: string, text: string) => {
  const w = where(source, name);
  return w ? `${w}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
};

export const show = (v: unknown) => {
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
      // Stored paths stay portable, and name no one's home folder (stack-paths.ts).
      return storedFilePath(dest, filePathOf(baseDir, text));
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
