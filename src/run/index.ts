// The run, the orchestrator of the stages: read the state under the lock (state.ts), plan the
// whole run as a pure function (plan-run.ts), commit (commit.ts). The public entry of src/run/.
export { run } from './run.js';
export { defaultedQuestions } from './pending.js';
export { preflight } from './preflight.js';
export { holdsStack, resolveFor, storedLayer } from './state.js';
export { missingMessage } from './plan-run.js';
export { rotate, type BeforeCommit } from './rotate.js';
export type { Change, Mode, Recovered, RunOptions, RunResult } from './types.js';
