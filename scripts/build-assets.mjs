// After tsc: writes answers.schema.json from the same answer table the code validates with.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { answersJsonSchema } = await import(path.join(root, 'dist/src/answers/json-schema.js'));
writeFileSync(path.join(root, 'answers.schema.json'), `${JSON.stringify(answersJsonSchema(), null, 2)}\n`);
