// The whole run as a pure function: from the stack as read (under the lock), the resolved answers,
// the model and its render, to the writes and deletes, the change list, the conflicts, the warnings
// and the exit code. Reads nothing, writes nothing, asks no clock: src/run/state.ts reads what it
// needs first, src/run/commit.ts applies what it returns.
import { upgradeNotices } from '../answers/notices.js';
import type { Resolved } from '../answers/resolve.js';
import { flagOf, specOf, type AnswerName } from '../answers/schema.js';
import { InputError, StateError } from '../errors.js';
import { BASE_FILE, ENV_FILE, RECORD_FILE, YO_RC } from '../facts/stack-files.js';
import type { Model, Secret } from '../model/index.js';
import type { RenderedFile } from '../render/index.js';
import { mergeEnv } from '../update/envfile.js';
import { foreignFiles, planFiles, unresolvedConflicts, type DiskFile, type FilePlan, type PlanInput } from '../update/plan.js';
import { GENERATOR_NAME, RECORD_FORMAT, serializeBases, serializeRecord, type GenerationRecord } from '../update/record.js';
import type { Op } from '../update/txn.js';
import { VERSION } from '../version.js';
import type { Change, Mode } from './types.js';
import { runWarnings } from './warnings.js';

/** The stack as the read stage found it: plain data. */
export interface StackState {
  /** The destination existed when the lock was taken; if not, nothing was read from it. */
  exists: boolean;
  yo?: { [key: string]: unknown };
  record?: GenerationRecord;
  /** The previous render of each recorded file (the merge bases). */
  bases: ReadonlyMap<string, string>;
  /** The files the plan looks at, as they are on disk; a path missing here (and from unreadable) is not on disk. */
  disk: ReadonlyMap<string, DiskFile>;
  /** Files that could not be read (not a regular file, no permission), with the error the plan throws when it looks at one. */
  unreadable?: ReadonlyMap<string, unknown>;
  /** The contents of the copies' sources this run reads, by source as given. */
  sources: ReadonlyMap<string, string>;
  /** The sources of recorded copies that still exist. */
  sourcesPresent: ReadonlySet<string>;
}

export interface RunInput {
  state: StackState;
  resolved: Pick<Resolved, 'answers' | 'stored' | 'fromStored' | 'legacy' | 'unread'>;
  model: Model;
  rendered: readonly RenderedFile[];
  mode: Mode;
  force: boolean;
  restore: readonly string[];
  /** The project-clash warning, if any: the read stage asks Docker for it. */
  clash?: string;
  /** A new value for a secret .env lacks (random in a run; given by a test). */
  newSecret: (secret: Secret) => string;
}

export interface RunPlan {
  ops: Op[];
  changes: Change[];
  conflicts: string[];
  warnings: string[];
  notices: string[];
  exitCode: 0 | 1;
}

export function missingMessage(missing: readonly AnswerName[]): string {
  const named = missing.map((n) => `--${flagOf(n)} (${specOf(n)?.message ?? n}; ${n} in an answers file)`);
  return `missing required answer${missing.length === 1 ? '' : 's'}: ${named.join(', ')}; give ${missing.length === 1 ? 'it' : 'them'} as flags or in --answers`;
}

/** --restore names only files this render writes. */
function checkRestore(rendered: readonly RenderedFile[], restore: readonly string[]): void {
  for (const r of restore) {
    if (!rendered.some((f) => f.path === r))
      throw new InputError(`--restore ${JSON.stringify(r)}: not a file this generator writes; use one of ${rendered.map((f) => f.path).join(', ')}`, 'restore');
  }
}

export function refuseUnresolved(unresolved: readonly string[]): void {
  if (unresolved.length > 0)
    throw new StateError(
      `resolve the conflict markers in ${unresolved.join(', ')} first (keep what you want, remove the <<<<<<< ======= >>>>>>> lines), then run again`,
    );
}

export function refuseForeign(foreign: readonly string[]): void {
  // Bad input, like a wrong answer: the person pointed the generator at a folder that is not its own.
  if (foreign.length > 0)
    throw new InputError(
      `${foreign.join(', ')} already exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'was' : 'were'} not written by the generator; move ${foreign.length === 1 ? 'it' : 'them'} away or run with --force to replace ${foreign.length === 1 ? 'it' : 'them'}`,
    );
}

/** A file as on disk, for the plan: what the read stage found, or the error it met there. */
function onDisk(state: StackState, p: string): DiskFile | undefined {
  if (state.unreadable?.has(p)) throw state.unreadable.get(p);
  return state.disk.get(p);
}

/** The plan's ops and change list, built up part by part. */
class Collector {
  readonly ops: Op[] = [];
  readonly changes: Change[] = [];
  write(path: string, content: string, mode: number): void {
    this.ops.push({ op: 'write', path, content, mode });
  }
  remove(path: string): void {
    this.ops.push({ op: 'delete', path });
  }
}

export function planRun(input: RunInput): RunPlan {
  const { state, resolved, model, mode } = input;
  checkRestore(input.rendered, input.restore);
  const files: PlanInput = {
    rendered: input.rendered,
    record: state.record?.files ?? {},
    base: (p) => state.bases.get(p),
    disk: (p) => onDisk(state, p),
    force: input.force,
    restore: new Set(input.restore),
  };
  refuseUnresolved(unresolvedConflicts(files));
  if (!files.force) refuseForeign(foreignFiles(files));
  const out = new Collector();
  const plans = planFiles(files);
  addFilePlans(out, plans);
  const envAdded = addEnv(out, input);
  const copies = addCopies(out, input);
  addBookkeeping(out, state, plans, resolved.stored, copies);
  const conflicts = plans.filter((p) => p.action === 'conflict').map((p) => p.path);
  const drift = out.changes.some((c) => c.drift);
  return {
    ops: out.ops,
    changes: out.changes,
    conflicts,
    warnings: runWarnings({ record: state.record, model, envAdded, clash: input.clash }),
    notices: upgradeNotices(resolved.answers, resolved.fromStored, resolved.legacy),
    exitCode: (mode === 'check' ? drift : conflicts.length > 0) ? 1 : 0,
  };
}

/** The generated files: what planFiles decided, as ops and lines of the change list. */
function addFilePlans(out: Collector, plans: readonly FilePlan[]): void {
  for (const p of plans) {
    if (p.write !== undefined) out.write(p.path, p.write, p.mode);
    if (p.action === 'delete') out.remove(p.path);
    if (p.action !== 'unchanged' || p.write !== undefined)
      out.changes.push({
        path: p.path,
        action: p.action,
        note: p.note,
        before: p.before,
        after: p.write,
        drift: !['keep', 'deleted', 'unchanged'].includes(p.action),
      });
  }
}

/** The git-ignored secrets: merged key by key, never shown, never drift (a clean clone has none). Returns the keys made anew. */
function addEnv(out: Collector, { state, model, newSecret }: RunInput): string[] {
  const envDisk = onDisk(state, ENV_FILE);
  const env = mergeEnv(envDisk?.content, model.secrets, model.project, newSecret);
  if (env.added.length > 0 || (envDisk && envDisk.mode !== 0o600)) {
    out.write(ENV_FILE, env.text, 0o600);
    out.changes.push({
      path: ENV_FILE,
      action: envDisk ? 'update' : 'create',
      note: env.added.length > 0 ? `adds ${env.added.join(', ')} (values hidden)` : 'mode set to 0600',
      secret: true,
      drift: false,
    });
  }
  return env.added;
}

/** Copies of the person's files into the git-ignored folder; returns the record's copies after the run. */
function addCopies(out: Collector, { state, model, resolved }: RunInput): GenerationRecord['copies'] {
  const copies: GenerationRecord['copies'] = {};
  for (const { answer, source, path: target } of model.copies) {
    copies[target] = { source };
    const content = state.sources.get(source);
    if (content === undefined || resolved.unread.includes(answer)) continue; // a clone, or stored and outside the stack: the copy stands in
    const have = onDisk(state, target);
    if (have?.content === content && have.mode === 0o600) continue;
    out.write(target, content, 0o600);
    out.changes.push({ path: target, action: 'copy', note: `copy of ${source}`, secret: true, drift: false });
  }
  for (const [target, { source }] of Object.entries(state.record?.copies ?? {})) {
    if (copies[target] || !onDisk(state, target)) continue;
    if (state.sourcesPresent.has(source)) {
      out.remove(target);
      out.changes.push({ path: target, action: 'delete', note: `no longer used (the original ${source} stays)`, secret: true, drift: false });
    } else {
      copies[target] = { source };
      const note = `no longer used, but ${source} is gone, so this copy is kept; delete it yourself`;
      out.changes.push({ path: target, action: 'keep', note, secret: true, drift: false });
    }
  }
  return copies;
}

/** Bookkeeping: answers in .yo-rc.json, the record and the merge bases, in the same transaction. */
function addBookkeeping(
  out: Collector,
  state: StackState,
  plans: readonly FilePlan[],
  stored: RunInput['resolved']['stored'],
  copies: GenerationRecord['copies'],
): void {
  const yoText = `${JSON.stringify({ ...state.yo, [GENERATOR_NAME]: stored }, null, 2)}\n`;
  const record: GenerationRecord = { generator: GENERATOR_NAME, version: VERSION, format: RECORD_FORMAT, answers: stored, files: {}, copies };
  const bases = new Map<string, string>();
  for (const p of plans) {
    if (p.entry) record.files[p.path] = p.entry;
    if (p.entry && p.base !== undefined) bases.set(p.path, p.base);
  }
  const bookkeeping: [string, string, boolean][] = [
    [YO_RC, yoText, true],
    [RECORD_FILE, serializeRecord(record), true],
    // The merge bases change only with the files they belong to: no drift of their own.
    [BASE_FILE, serializeBases(bases), false],
  ];
  for (const [p, text, drift] of bookkeeping) {
    const have = onDisk(state, p);
    if (have?.content === text) continue;
    out.write(p, text, 0o644);
    if (drift) out.changes.push({ path: p, action: have ? 'update' : 'create', before: have?.content, after: text, drift });
  }
}
