// The library API: generate and update Bindplane stacks from a script, without Yeoman.
//
//   import { generate } from 'generator-bindplane-distributed';
//   await generate('demo-1', { projectName: 'demo-1', instances: 2, eventBus: 'nats' });
import type { Layer } from './answers/layers.js';
import type { Answers } from './answers/schema.js';
import { run, type RunOptions, type RunResult } from './run/index.js';
import { checkResourcesFolder, seedResources } from './resources.js';

export { run } from './run/index.js';
export type { Change, Mode, RunOptions, RunResult } from './run/index.js';
export { ANSWERS, type Answers } from './answers/schema.js';
export { buildModel, type Model } from './model/index.js';
export { renderFiles, type RenderedFile } from './render/index.js';
export { BUSY_EXIT, BusyError, InputError, StateError } from './errors.js';
export { VERSION } from './version.js';

export interface GenerateOptions extends Omit<RunOptions, 'dest' | 'layers'> {
  /**
   * A folder of Bindplane resources (`*.yaml`, `*.yml`) for this stack's `resources/`, which the
   * first start applies. Each file is copied when the stack has no file of that name yet, so that
   * many demo repositories can be stamped with their own resources, and a person's edits there
   * are never overwritten by a later generate.
   */
  resources?: string;
}

/**
 * Generates (or updates) the stack in `dest` from the given answers, on top of any stored in
 * `dest/.yo-rc.json`, then defaults. Never asks anything.
 */
export async function generate(dest: string, answers: Partial<Answers> = {}, options: GenerateOptions = {}): Promise<RunResult> {
  const { resources, ...runOptions } = options;
  if (resources !== undefined) checkResourcesFolder(resources);
  const layer: Layer = { source: 'library', values: answers as Record<string, unknown>, baseDir: process.cwd() };
  const result = await run({ ...runOptions, dest, layers: [layer] });
  if (resources !== undefined && result.exitCode === 0 && (runOptions.mode ?? 'apply') === 'apply') seedResources(dest, resources);
  return result;
}
