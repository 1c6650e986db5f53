// Which questions a person still has to be asked, and how each is shown and checked (for flow.ts).
import { existsSync } from 'node:fs';
import { fileContentProblem, keyPairProblem } from './file-content.js';
import { kubernetesRefusals } from './kubernetes.js';
import { coerce } from './coerce.js';
import { mergedValues, withStored, type Layer } from './layers.js';
import { filePathOf, isOutsideStack } from './stack-paths.js';
import { ANSWERS, allowedText, type AnswerSpec, type AnswerValue, type Answers } from './schema.js';

/**
 * The questions a person would be asked, in order: not answered by any layer, not derived from
 * other answers once the repository exists (those follow their sources), and applying to the
 * answers known so far, defaults standing in for questions still to come.
 */
export function pendingQuestions(layers: readonly Layer[], stored: Layer | undefined, dest: string): AnswerSpec[] {
  return pendingGiven(mergedValues(withStored(layers, stored), dest), stored, dest);
}

/** pendingQuestions of answers already merged. */
function pendingGiven(given: Partial<Record<string, AnswerValue>>, stored: Layer | undefined, dest: string): AnswerSpec[] {
  const known: Partial<Record<string, AnswerValue>> = {};
  const pending: AnswerSpec[] = [];
  for (const spec of ANSWERS) {
    if (Object.hasOwn(given, spec.name)) {
      known[spec.name] = given[spec.name];
      continue;
    }
    if (spec.when && !spec.when(known as Partial<Answers>)) continue;
    const def = stored && spec.legacyDefault !== undefined ? spec.legacyDefault : promptDefault(spec, known as Partial<Answers>, dest);
    if (def !== undefined) known[spec.name] = def;
    if (!followsOthers(spec, stored)) pending.push(spec);
  }
  return pending;
}

/**
 * The questions the prompts go through, in order: every one no layer answered and not derived in an
 * existing stack. Whether each applies is left to the prompts, which know the real answers.
 */
export function openQuestions(layers: readonly Layer[], stored: Layer | undefined): AnswerSpec[] {
  const all = withStored(layers, stored);
  return ANSWERS.filter((spec) => !all.some((l) => Object.hasOwn(l.values, spec.name)) && !followsOthers(spec, stored));
}

/** An answer of an existing stack that is derived (or kept at its legacy value): it follows its sources, unasked. */
const followsOthers = (spec: AnswerSpec, stored: Layer | undefined) =>
  stored !== undefined && (typeof spec.default === 'function' || spec.legacyDefault !== undefined);

/**
 * Stored file answers outside the stack that the run would read: no layer of this run gives them,
 * they apply to the answers known, and the file is on this machine. A file outside the stack is
 * read again only when the person confirms it (or gives it again).
 */
export function storedOutsideFiles(layers: readonly Layer[], stored: Layer | undefined, dest: string, known: Partial<Answers>): AnswerSpec[] {
  if (!stored) return [];
  return ANSWERS.filter((spec) => {
    const file = known[spec.name];
    if (spec.kind.type !== 'file' || file === undefined || !Object.hasOwn(stored.values, spec.name)) return false;
    if (layers.some((l) => Object.hasOwn(l.values, spec.name)) || (spec.when && !spec.when(known))) return false;
    return isOutsideStack(dest, String(file)) && existsSync(filePathOf(dest, String(file)));
  });
}

/** Whether a person at a terminal has anything to answer: a question, or a stored file outside the stack to confirm. */
export function anythingToAsk(layers: readonly Layer[], stored: Layer | undefined, dest: string): boolean {
  const given = mergedValues(withStored(layers, stored), dest);
  return pendingGiven(given, stored, dest).length > 0 || storedOutsideFiles(layers, stored, dest, given as Partial<Answers>).length > 0;
}

/** The default a prompt shows, from the answers known so far. */
export function promptDefault(spec: AnswerSpec, known: Partial<Answers>, dest: string): AnswerValue | undefined {
  return typeof spec.default === 'function' ? spec.default(known, { dest }) : spec.default;
}

/**
 * Validates one typed-in value where it is asked, with the same rules as every other source: the
 * value's kind, a file's content, and a key against the certificate already given. True or the message.
 */
export function validatePrompt(spec: AnswerSpec, raw: string, dest: string, known: Partial<Answers> = {}): true | string {
  if (raw === '' && !spec.required) return true;
  try {
    const value = coerce(spec, raw, 'prompt', process.cwd(), dest);
    const refused = kubernetesRefusals({ platform: known.platform, [spec.name]: value }).find((r) => r.answer === spec.name);
    if (refused) return refused.why;
    if (spec.kind.type !== 'file') return true;
    const abs = filePathOf(dest, String(value));
    const problem = fileContentProblem(abs, spec.kind.content);
    if (problem) return `${JSON.stringify(raw)} ${problem}; give ${allowedText(spec.kind)}`;
    if (spec.name === 'tlsKeyFile' && known.tlsCertFile) {
      const pair = keyPairProblem(filePathOf(dest, known.tlsCertFile), abs);
      if (pair) return `${JSON.stringify(raw)} ${pair} ${JSON.stringify(known.tlsCertFile)}; give the key the certificate was made for`;
    }
    return true;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The question as a prompt shows it: the question, then its hint or what it allows; no parentheses, the prompt adds the default in them. */
export function promptMessage(spec: AnswerSpec): string {
  if (spec.kind.type === 'enum' || spec.kind.type === 'intEnum') return spec.message;
  return `${spec.message}: ${spec.hint ?? allowedText(spec.kind)}`;
}
