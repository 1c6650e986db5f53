// Which questions a person still has to be asked, and how to ask them (for the Yeoman edge).
import { coerce, type Layer } from './resolve.js';
import { ANSWERS, allowedText, type AnswerSpec, type AnswerValue, type Answers } from './schema.js';

/**
 * The questions a person would be asked, in order: not answered by any layer, not derived from
 * other answers once the repository exists (those follow their sources), and applying to the
 * answers known so far, defaults standing in for questions still to come. With `liveWhen` that
 * last test is left to the prompts, which know the real answers.
 */
export function pendingQuestions(layers: readonly Layer[], stored: Layer | undefined, dest: string, liveWhen = false): AnswerSpec[] {
  const all = stored ? [...layers, stored] : layers;
  const known: Partial<Record<string, AnswerValue>> = {};
  const pending: AnswerSpec[] = [];
  for (const spec of ANSWERS) {
    const layer = all.find((l) => spec.name in l.values);
    if (layer) {
      known[spec.name] = coerce(spec, layer.values[spec.name], layer.source, layer.baseDir, dest);
      continue;
    }
    if (!liveWhen && spec.when && !spec.when(known as Partial<Answers>)) continue;
    const def = promptDefault(spec, known as Partial<Answers>, dest);
    if (def !== undefined) known[spec.name] = def;
    if (typeof spec.default === 'function' && stored) continue;
    pending.push(spec);
  }
  return pending;
}

/** The default a prompt shows, from the answers known so far. */
export function promptDefault(spec: AnswerSpec, known: Partial<Answers>, dest: string): AnswerValue | undefined {
  return typeof spec.default === 'function' ? spec.default(known, { dest }) : spec.default;
}

/** Validates one typed-in value with the same rules as every other source; true or the message. */
export function validatePrompt(spec: AnswerSpec, raw: string, dest: string): true | string {
  if (raw === '' && !spec.required) return true;
  try {
    coerce(spec, raw, 'prompt', process.cwd(), dest);
    return true;
  } catch (e) {
    return (e as Error).message;
  }
}

export function promptMessage(spec: AnswerSpec): string {
  return spec.kind.type === 'enum' || spec.kind.type === 'intEnum' ? spec.message : `${spec.message} (${allowedText(spec.kind)})`;
}
