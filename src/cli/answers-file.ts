// Reads an answers file (YAML or JSON) into a layer of raw answers. Every scalar is read as the
// text it was written as, so "1.100" stays 1.100 and types are checked by the answer table.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Layer } from '../answers/resolve.js';
import { InputError } from '../errors.js';

const MAX_BYTES = 1 << 20;
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

export async function loadAnswersFile(file: string, cwd: string): Promise<Layer> {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new InputError(`--answers ${JSON.stringify(file)}: not a file; give a YAML or JSON answers file`, 'answers');
    if (st.size > MAX_BYTES) throw new InputError(`--answers ${JSON.stringify(file)}: ${st.size} bytes is too large; an answers file is at most ${MAX_BYTES} bytes`, 'answers');
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`--answers ${JSON.stringify(file)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a YAML or JSON answers file`, 'answers');
  }
  return { source: 'answers file', values: parseAnswers(text, file, await import('yaml')), baseDir: path.dirname(abs) };
}

type YamlModule = typeof import('yaml');

export function parseAnswers(text: string, file: string, yaml: YamlModule): Record<string, unknown> {
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { schema: 'failsafe', uniqueKeys: true, prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = lineCounter.linePos(e.pos[0]);
    const where = ` line ${at.line}, column ${at.col}`;
    throw new InputError(`--answers ${JSON.stringify(file)}:${where}: ${e.message.split('\n')[0]}; the file must be a YAML or JSON mapping of answer names to values`, 'answers');
  }
  const root = doc.contents;
  if (root === null || (yaml.isScalar(root) && NULLS.has(String(root.value)))) return {};
  if (!yaml.isMap(root)) throw new InputError(`--answers ${JSON.stringify(file)}: the file must be a YAML or JSON mapping of answer names to values`, 'answers');
  const values: Record<string, unknown> = {};
  for (const pair of root.items) {
    const key = yaml.isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(yaml.isNode(pair.key) ? pair.key.toJSON() : pair.key);
    const v = pair.value;
    if (v === null || (yaml.isScalar(v) && v.type === 'PLAIN' && NULLS.has(String(v.value)))) values[key] = null;
    else if (yaml.isScalar(v)) values[key] = String(v.value);
    else values[key] = yaml.isNode(v) ? v.toJSON() : v;
  }
  return values;
}
