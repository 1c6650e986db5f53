// Layers of raw answers (flags, answers file, prompts, what the stack stored) merged into one set of
// typed values: the one merge that resolving, the questions, the flow and its summary all use.
import { InputError } from '../errors.js';
import { coerce, refuseObjectKey, unknownAnswer, type Source } from './coerce.js';
import { specOf, type AnswerName, type AnswerValue } from './schema.js';

/** Raw values as they came in; `baseDir` resolves relative file paths. */
export interface Layer {
  source: Source;
  values: Record<string, unknown>;
  baseDir: string;
}

export interface Merged {
  /** Each answer some layer gave, typed, from the layer that comes first. */
  values: Partial<Record<AnswerName, AnswerValue>>;
  /** Where each of those values came from. */
  from: Partial<Record<AnswerName, Source>>;
  /** Every wrong value and unknown key of every layer, shadowed ones too: they are said all at once. */
  problems: InputError[];
}

/** The layers given for this run (highest priority first), then what the stack stored below them. */
export function withStored(layers: readonly Layer[], stored: Layer | undefined): Layer[] {
  return stored ? [...layers, stored] : [...layers];
}

/** Merges layers, highest priority first, coercing every value. A key naming object machinery throws at once. */
export function mergeLayers(layers: readonly Layer[], dest: string): Merged {
  const merged: Merged = { values: {}, from: {}, problems: [] };
  for (const layer of [...layers].reverse()) {
    for (const [key, raw] of Object.entries(layer.values)) {
      if (key === '$schema' && layer.source === 'answers file') continue;
      refuseObjectKey(key, layer.source);
      const spec = specOf(key);
      try {
        if (!spec) throw unknownAnswer(key, layer.source);
        merged.values[spec.name] = coerce(spec, raw, layer.source, layer.baseDir, dest);
        merged.from[spec.name] = layer.source;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        merged.problems.push(e);
      }
    }
  }
  return merged;
}

/** Throws the problems found, one as it is, several as one list (fixing a file one error per run wears people out). */
export function throwProblems(problems: readonly InputError[]): void {
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1)
    throw new InputError(`${problems.length} answers are wrong:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`, problems[0]!.field);
}

/** The merged values, or the problems thrown: for those who need every given answer right before going on. */
export function mergedValues(layers: readonly Layer[], dest: string): Partial<Record<AnswerName, AnswerValue>> {
  const merged = mergeLayers(layers, dest);
  throwProblems(merged.problems);
  return merged.values;
}
