// The run: read the state under the lock, plan it (a pure function), commit. The CLI, the Yeoman
// generator and the library all call run(); none of this imports a framework.
import path from 'node:path';
import { InputError } from '../errors.js';
import { buildModel } from '../model/index.js';
import { renderFiles } from '../render/index.js';
import { newSecretValue } from '../update/envfile.js';
import { asUserError, guardStackState } from '../update/fs-guard.js';
import { takeLock, type Lock } from '../update/lock.js';
import { checkInside, commitOps } from './commit.js';
import { missingMessage, planRun } from './plan-run.js';
import { checkDestination, readLocked, readStackState, resolveFor } from './state.js';
import type { Mode, RunOptions, RunResult } from './types.js';
import { projectClashFor } from './warnings.js';

/** Runs `f` holding the destination's lock (`create`: the run may write, so a new destination is locked through its staging). */
export async function withLock<T>(root: string, create: boolean, f: (lock: Lock) => Promise<T>): Promise<T> {
  const lock = takeLock(root, create);
  try {
    return await f(lock);
  } finally {
    lock.release();
  }
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const mode = opts.mode ?? 'apply';
  const root = path.resolve(opts.dest);
  checkDestination(root, mode);
  guardStackState(root);
  return asUserError(root, () => withLock(root, mode === 'apply', (lock) => runLocked(opts, mode, root, lock)));
}

async function runLocked(opts: RunOptions, mode: Mode, root: string, lock: Lock): Promise<RunResult> {
  // Read: the stack's own state, the answers, the model and its render, then the files the plan needs.
  const locked = readLocked(root, lock, mode);
  const record = locked.stored.record;
  const resolved = resolveFor(root, opts.layers ?? [], mode, locked.stored);
  if (resolved.missing.length > 0) throw new InputError(missingMessage(resolved.missing), resolved.missing[0]);
  const { answers } = resolved;
  const model = buildModel(answers);
  const rendered = renderFiles(model);
  const force = opts.force ?? false;
  const state = readStackState(locked, rendered, model, resolved, force);
  const clash = projectClashFor(mode, answers, record?.answers, root);
  // Plan (pure), then commit.
  const restore = opts.restore ?? [];
  const plan = planRun({ state, resolved, model, rendered, mode, force, restore, clash, newSecret: newSecretValue });
  checkInside(root, plan.ops);
  if (mode === 'apply') await commitOps(root, lock, plan.ops);
  const { changes, conflicts, warnings, notices, exitCode } = plan;
  return { dest: root, mode, answers, model, changes, conflicts, recovered: locked.recovered, previousAnswers: record?.answers, warnings, notices, exitCode };
}
