// The interactive path of the CLI: the questions are Yeoman's, so run the generator through
// yeoman-environment. Loaded only when there is something to ask.
import path from 'node:path';
import type { Layer } from '../answers/resolve.js';
import { PACKAGE_ROOT } from '../version.js';

export interface InteractiveOptions {
  dest: string;
  layers: Layer[];
  force: boolean;
  restore: string[];
}

export async function runInteractive(opts: InteractiveOptions): Promise<number> {
  const { createEnv } = await import('yeoman-environment');
  const env = createEnv({ cwd: opts.dest, skipInstall: true } as never);
  const namespace = 'bindplane-distributed:app';
  env.register(path.join(PACKAGE_ROOT, 'generators/app/index.js'), { namespace } as never);
  process.exitCode = 0;
  await env.run([namespace], { layers: opts.layers, force: opts.force, ...(opts.restore.length ? { restore: opts.restore } : {}), skipInstall: true } as never);
  return Number(process.exitCode ?? 0);
}
