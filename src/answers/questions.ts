// Which questions a person still has to be asked, and how to ask them (for the Yeoman edge).
import { coerce, type Layer } from './resolve.js';
import { ANSWERS, allowedText, type AnswerSpec, type AnswerValue, type Answers } from './schema.js';

/** Answer names given by any layer. */
export function givenNames(layers: readonly (Layer | undefined)[]): Set<string> {
  const names = new Set<string>();
  for (const l of layers) if (l) for (const k of Object.keys(l.values)) names.add(k);
  return names;
}

/** Questions not yet answered, in order; whether each applies is decided as the person answers. */
export function unansweredQuestions(given: ReadonlySet<string>): AnswerSpec[] {
  return ANSWERS.filter((a) => !given.has(a.name));
}

/** The default a prompt shows, from the answers known so far. */
export function promptDefault(spec: AnswerSpec, known: Partial<Answers>): AnswerValue | undefined {
  return typeof spec.default === 'function' ? spec.default(known) : spec.default;
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
