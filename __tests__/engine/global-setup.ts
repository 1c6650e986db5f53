// The engine tier's one engine: installed if missing, started private (own data root, socket, pid
// file), images built or loaded from the cache, shared by every engine test file, and stopped by
// pid at the end with nothing left behind.
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM module without types
import { ensureImages, provision, startEngine } from './lib/engine.mjs';
// @ts-expect-error plain ESM module without types
import { imageSpecs } from './lib/specs.mjs';

// The engineEnv it provides is declared with the helpers that read it.
import type {} from './helpers.js';

const log = (line: string) => process.stderr.write(`engine: ${line}\n`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  await provision({ log });
  const engine = await startEngine({ log });
  try {
    await ensureImages(engine, imageSpecs(), { log });
  } catch (e) {
    await engine.stop();
    throw e;
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('engineEnv', engine.env);
  return async () => {
    await engine.stop();
    log(`stopped; the tier took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
}
