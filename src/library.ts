// The library API: generate and update Bindplane stacks from a script, without Yeoman.
//
//   import { generate } from 'generator-bindplane-distributed';
//   await generate('demo-1', { projectName: 'demo-1', instances: 2, eventBus: 'nats' });
import type { Layer } from './answers/resolve.js';
import type { Answers } from './answers/schema.js';
import { run, type RunOptions, type RunResult } from './engine.js';

export { run } from './engine.js';
export type { Change, Mode, RunOptions, RunResult } from './engine.js';
export { ANSWERS, type Answers } from './answers/schema.js';
export { buildModel, type Model } from './model/index.js';
export { renderFiles, type RenderedFile } from './render/index.js';
export { BUSY_EXIT, BusyError, InputError, StateError } from './errors.js';
export { VERSION } from './version.js';

/**
 * Generates (or updates) the stack in `dest` from the given answers, on top of any stored in
 * `dest/.yo-rc.json`, then defaults. Never asks anything.
 */
export function generate(dest: string, answers: Partial<Answers> = {}, options: Omit<RunOptions, 'dest' | 'layers'> = {}): Promise<RunResult> {
  const layer: Layer = { source: 'library', values: answers as Record<string, unknown>, baseDir: process.cwd() };
  return run({ ...options, dest, layers: [layer] });
}
