// Which questions a person still has to be asked, and how each is shown and checked (for flow.ts).
import path from 'node:path';
import { fileContentProblem, keyPairProblem } from './file-content.js';
import { kubernetesRefusals } from './kubernetes.js';
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
    const layer = all.find((l) => Object.hasOwn(l.values, spec.name));
    if (layer) {
      known[spec.name] = coerce(spec, layer.values[spec.name], layer.source, layer.baseDir, dest);
      continue;
    }
    if (!liveWhen && spec.when && !spec.when(known as Partial<Answers>)) continue;
    const def = stored && spec.legacyDefault !== undefined ? spec.legacyDefault : promptDefault(spec, known as Partial<Answers>, dest);
    if (def !== undefined) known[spec.name] = def;
    if ((typeof spec.default === 'function' || spec.legacyDefault !== undefined) && stored) continue;
    pending.push(spec);
  }
  return pending;
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
    const abs = path.resolve(dest, String(value));
    const problem = fileContentProblem(abs, spec.kind.content);
    if (problem) return `${JSON.stringify(raw)} ${problem}; give ${allowedText(spec.kind)}`;
    if (spec.name === 'tlsKeyFile' && known.tlsCertFile) {
      const pair = keyPairProblem(path.resolve(dest, known.tlsCertFile), abs);
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
