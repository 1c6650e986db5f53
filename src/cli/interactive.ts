// The CLI's prompts: @inquirer/prompts as the question flow (src/answers/flow.ts) asks. Loaded only
// when there is something to ask. It imports no code of this package, so the flow and its errors
// stay those of the CLI's bundle.
import { input, select, confirm } from '@inquirer/prompts';
import type { Asker } from '../answers/flow.js';

export const inquirerAsker: Asker = {
  input: (q) => input({ message: q.message, default: q.default, validate: q.validate }),
  select: (q) => select({ message: q.message, choices: q.choices, default: q.default }),
  confirm: (q) => confirm({ message: q.message, default: q.default }),
  say: (text) => process.stdout.write(`${text}\n`),
};
