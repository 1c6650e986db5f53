// Before any question: what would stop the run whatever the answers still to come, so a person is
// not asked everything first. run() checks again, with the final answers, under the lock.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveAnswers } from '../answers/resolve.js';
import { buildModel } from '../model/index.js';
import { FILES } from '../render/files.js';
import { renderFiles, type RenderedFile } from '../render/index.js';
import { foreignFiles, unresolvedConflicts } from '../update/plan.js';
import { readBases } from '../update/record.js';
import { refuseForeign, refuseUnresolved } from './plan-run.js';
import { checkDestination, readDisk, readStored } from './state.js';
import type { RunOptions } from './types.js';

/** The paths every stack has, whatever the answers. */
const EVERY_STACK: ReadonlySet<string> = new Set(FILES.filter((f) => f.everyStack).map((f) => f.path));

/**
 * The files every stack has, as the default answers render them: a file there that the generator
 * did not write is refused now, unless it is that very render.
 */
function everyStackFiles(root: string): RenderedFile[] {
  const values = { platform: 'compose', eventBus: 'nats', pubsubProjectId: 'preflight-check' };
  const defaults = resolveAnswers([{ source: 'library', values, baseDir: root }], { dest: root, skipFileChecks: true });
  return renderFiles(buildModel(defaults.answers)).filter((f) => EVERY_STACK.has(f.path));
}

/**
 * Refuses files the generator did not write where every stack has a file, and conflict markers
 * left from an earlier run.
 */
export function preflight(opts: Pick<RunOptions, 'dest' | 'force' | 'layers'>): void {
  const root = path.resolve(opts.dest);
  checkDestination(root, 'apply');
  // The answers given so far: unknown keys, wrong values and missing files are said now, not after the questions.
  resolveAnswers(opts.layers ?? [], { dest: root, givenOnly: true });
  if (!existsSync(root)) return;
  const record = readStored(root).record;
  const bases = readBases(root);
  const probe = {
    record: record?.files ?? {},
    base: (p: string) => bases.get(p),
    disk: (p: string) => readDisk(root, p),
    force: opts.force ?? false,
    restore: new Set<string>(),
  };
  refuseUnresolved(unresolvedConflicts(probe));
  if (probe.force) return;
  refuseForeign(foreignFiles({ ...probe, rendered: everyStackFiles(root) }));
}
