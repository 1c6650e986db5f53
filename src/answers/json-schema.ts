// The JSON Schema of an answers file, derived from the answer table (shipped as answers.schema.json).
// It is never looser than the generator: a file the schema accepts, the generator accepts. (The
// generator also takes numbers written as text, as YAML and flags give them.)
import { ANSWERS, allowedText, URL_PATTERN, type AnswerSpec } from './schema.js';

function property(spec: AnswerSpec): Record<string, unknown> {
  const k = spec.kind;
  const description = `${spec.message}${spec.hint ? ` (${spec.hint})` : ''}: ${allowedText(k)}.`;
  const def = typeof spec.default === 'function' || spec.default === undefined ? {} : { default: spec.default };
  switch (k.type) {
    case 'enum':
      return { description, type: 'string', enum: [...k.values], ...def };
    case 'intEnum':
      // Integers, or their digits as a string (flags and YAML give text).
      return {
        description,
        anyOf: [
          { type: 'integer', enum: [...k.values] },
          { type: 'string', enum: k.values.map(String) },
        ],
        ...def,
      };
    case 'int':
      return { description, type: 'integer', minimum: k.min, maximum: k.max, ...def };
    case 'string':
      return { description, type: 'string', pattern: k.pattern.source, maxLength: k.maxLength, minLength: 1, ...def };
    case 'url':
      return { description, type: 'string', pattern: URL_PATTERN.source, maxLength: 2048 };
    case 'file':
      return { description, type: 'string', minLength: 1, maxLength: 4096 };
  }
}

export function answersJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://unpkg.com/generator-bindplane-distributed/answers.schema.json',
    title: 'Answers of generator-bindplane-distributed',
    description:
      'Answers for `bindplane-distributed --answers FILE` (YAML or JSON). Every answer is optional here; cross-field rules (pubsub needs pubsubProjectId, tls provided needs both files) are checked by the generator.',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      ...Object.fromEntries(ANSWERS.map((a) => [a.name, property(a)])),
    },
  };
}
