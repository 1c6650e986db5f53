// Reads an answers file (YAML or JSON) into a layer of raw answers. Every scalar keeps the text it
// was written as, so "1.100" stays 1.100 and "16.10" stays 16.10; the answer table checks types.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type * as JsYaml from 'js-yaml';
import type { Layer } from '../answers/layers.js';
import { refuseObjectKey } from '../answers/coerce.js';
import { InputError } from '../errors.js';

const MAX_BYTES = 1 << 20;

type YamlModule = typeof JsYaml;

export async function loadAnswersFile(file: string, cwd: string): Promise<Layer> {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new InputError(`--answers ${JSON.stringify(file)}: not a file; give a YAML or JSON answers file`, 'answers');
    if (st.size > MAX_BYTES)
      throw new InputError(`--answers ${JSON.stringify(file)}: ${st.size} bytes is too large; an answers file is at most ${MAX_BYTES} bytes`, 'answers');
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      `--answers ${JSON.stringify(file)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a YAML or JSON answers file`,
      'answers',
    );
  }
  // Loaded only here: most runs have no answers file.
  return { source: 'answers file', values: parseAnswers(text, file, await import('js-yaml')), baseDir: path.dirname(abs) };
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseAnswers(text: string, file: string, yaml: YamlModule): Record<string, unknown> {
  const shape = `the file must be a YAML or JSON mapping of answer names to values`;
  // Two readings: the core schema tells null, booleans, lists and mappings apart; the failsafe
  // schema keeps each scalar's text (a float reading would turn 1.100 into 1.1).
  let typed: unknown;
  let text_: unknown;
  try {
    typed = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file });
    text_ = yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA, filename: file });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const where = e.mark ? ` line ${e.mark.line + 1}, column ${e.mark.column + 1}` : '';
      throw new InputError(`--answers ${JSON.stringify(file)}:${where}: ${e.reason}; ${shape}`, 'answers');
    }
    throw e;
  }
  if (typed === null || typed === undefined) return {};
  if (!isMapping(typed) || !isMapping(text_)) throw new InputError(`--answers ${JSON.stringify(file)}: ${shape}`, 'answers');
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(typed)) {
    refuseObjectKey(key, `--answers ${JSON.stringify(file)}`);
    values[key] = value === null || typeof value === 'boolean' || typeof value === 'object' ? value : text_[key];
  }
  return values;
}
