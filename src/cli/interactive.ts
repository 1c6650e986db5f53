// The CLI's prompts: Inquirer's input, select and confirm (each its own small package) as the question flow (src/answers/flow.ts) asks. Loaded only
// when there is something to ask. It imports no code of this package, so the flow and its errors
// stay those of the CLI's bundle.
import confirm from '@inquirer/confirm';
import input from '@inquirer/input';
import select from '@inquirer/select';
import type { Asker } from '../answers/flow.js';

export const inquirerAsker: Asker = {
  input: (q) => input({ message: q.message, default: q.default, validate: q.validate }),
  select: (q) => select({ message: q.message, choices: q.choices, default: q.default }),
  confirm: (q) => confirm({ message: q.message, default: q.default }),
  say: (text) => process.stdout.write(`${text}\n`),
};
