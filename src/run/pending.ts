// The questions a destination still has open, for the edges that answer them with their defaults.
import { pendingQuestions } from '../answers/questions.js';
import type { Layer } from '../answers/layers.js';
import type { AnswerSpec } from '../answers/schema.js';
import { storedLayer } from './state.js';

/**
 * The questions a run without a terminal answers with their defaults. A wrong answer given is not
 * reported here: the run reports every one at once.
 */
export function defaultedQuestions(layers: readonly Layer[], root: string): AnswerSpec[] {
  try {
    return pendingQuestions(layers, storedLayer(root), root);
  } catch {
    return [];
  }
}
