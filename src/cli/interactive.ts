// The interactive path of the CLI: the question flow of src/answers/flow.ts through
// @inquirer/prompts. Loaded only when there is something to ask.
import { input, select, confirm } from '@inquirer/prompts';
import { askQuestions, type Asker } from '../answers/flow.js';
import type { Layer } from '../answers/resolve.js';

const inquirer: Asker = {
  input: (q) => input({ message: q.message, default: q.default, validate: q.validate }),
  select: (q) => select({ message: q.message, choices: q.choices, default: q.default }),
  confirm: (q) => confirm({ message: q.message, default: q.default }),
  say: (text) => process.stdout.write(`${text}\n`),
};

/** Asks what no layer answers and returns the answers as the 'prompt' layer. */
export async function askInteractively(opts: { dest: string; layers: Layer[]; stored?: Layer }): Promise<Layer> {
  return { source: 'prompt', values: await askQuestions(inquirer, opts), baseDir: process.cwd() };
}
