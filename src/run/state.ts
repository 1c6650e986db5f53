// The read stage: everything the run looks at on disk, read under the lock into plain data (the
// destination, .yo-rc.json, the record, the merge bases, then the files the plan needs), so that
// the plan (plan-run.ts) reads nothing itself.
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { withStored, type Layer } from '../answers/layers.js';
import { resolveAnswers, type Resolved } from '../answers/resolve.js';
import { filePathOf } from '../answers/stack-paths.js';
import { InputError } from '../errors.js';
import { BASE_FILE, ENV_FILE, RECORD_FILE, YO_RC } from '../facts/stack-files.js';
import { LOCAL_COPIES, type CopiedAnswer, type Model } from '../model/index.js';
import type { RenderedFile } from '../render/index.js';
import { fsProblem, guardDestination, guardStackState } from '../update/fs-guard.js';
import type { Lock } from '../update/lock.js';
import type { DiskFile } from '../update/plan.js';
import { GENERATOR_NAME, readBases, readRecord, type GenerationRecord } from '../update/record.js';
import { backupName } from '../update/record-guard.js';
import { recover } from '../update/txn.js';
import { VERSION } from '../version.js';
import type { StackState } from './plan-run.js';
import type { Mode, Recovered } from './types.js';

/** True when the folder holds a stack of this generator: its answers in .yo-rc.json, or its record. */
export function holdsStack(dir: string): boolean {
  if (existsSync(path.join(dir, RECORD_FILE))) return true;
  try {
    // Only a regular file is read: a link or a FIFO there is refused by the run, never followed or waited on.
    if (!lstatSync(path.join(dir, YO_RC)).isFile()) return false;
    const yo = JSON.parse(readFileSync(path.join(dir, YO_RC), 'utf8')) as unknown;
    return typeof yo === 'object' && yo !== null && Object.hasOwn(yo, GENERATOR_NAME);
  } catch {
    return false; // absent, or another tool's file: not ours
  }
}

/** A file of the stack as it is on disk; undefined when there is none. Refuses what is not a regular file. */
export function readDisk(root: string, rel: string): DiskFile | undefined {
  const p = path.join(root, rel);
  try {
    const st = statSync(p);
    if (!st.isFile()) throw new InputError(`${rel} is not a regular file; move it away so the generator can write there`, rel);
    return { content: readFileSync(p, 'utf8'), mode: st.mode & 0o777 };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new InputError(`${rel}: a file of yours stands where the generator needs a folder (${path.dirname(rel)}); move it away`, rel);
    throw fsProblem(root, e) ?? e;
  }
}

/** Refuses a destination that is a file or read-only, and paths that would leave it through a link. */
export function checkDestination(root: string, mode: Mode): void {
  guardDestination(root);
  let probe = root;
  while (!existsSync(probe)) probe = path.dirname(probe);
  const st = statSync(probe);
  if (probe === root && !st.isDirectory()) throw new InputError(`destination ${JSON.stringify(root)} is a file; give a folder`, 'dest');
  if (!st.isDirectory()) throw new InputError(`destination ${JSON.stringify(root)} is inside a file (${probe}); give a folder`, 'dest');
  // Respect the permission bits even as root: a folder made read-only means "do not write here".
  if (mode === 'apply' && (st.mode & 0o222) === 0)
    throw new InputError(`destination ${JSON.stringify(probe)} is read-only; make it writable or choose another folder`, 'dest');
}

function readYoRc(root: string): { [key: string]: unknown } | undefined {
  const file = path.join(root, YO_RC);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${YO_RC} is not valid JSON (${(e as Error).message}); fix it or delete it`, YO_RC);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError(`${YO_RC} must hold a JSON object`, YO_RC);
  return parsed as { [key: string]: unknown };
}

/** What a destination holds from earlier runs: .yo-rc.json and the record. */
export interface Stored {
  yo?: { [key: string]: unknown };
  record?: GenerationRecord;
}

export function readStored(root: string): Stored {
  if (!existsSync(root)) return {};
  guardStackState(root);
  return { yo: readYoRc(root), record: readRecord(root, VERSION) };
}

/** The answers stored in .yo-rc.json (or, when it is gone, in the record), as a layer. */
export function storedLayer(root: string, stored: Stored = readStored(root)): Layer | undefined {
  const mine = stored.yo?.[GENERATOR_NAME];
  if (mine !== undefined) {
    if (!mine || typeof mine !== 'object' || Array.isArray(mine)) throw new InputError(`${YO_RC}: "${GENERATOR_NAME}" must be an object of answers`, YO_RC);
    return { source: '.yo-rc.json', values: mine as { [key: string]: unknown }, baseDir: root };
  }
  return stored.record ? { source: '.yo-rc.json', values: stored.record.answers, baseDir: root } : undefined;
}

/** Resolves the answers of a run: given layers, then stored ones, then defaults. */
export function resolveFor(root: string, layers: Layer[], mode: Mode, previous: Stored = readStored(root)): Resolved {
  const stored = storedLayer(root, previous);
  return resolveAnswers(withStored(layers, stored), {
    dest: root,
    copyExists: (n) => Object.hasOwn(LOCAL_COPIES, n) && existsSync(path.join(root, LOCAL_COPIES[n as CopiedAnswer])),
    skipFileChecks: mode === 'check',
  });
}

/** What the run reads before its answers are resolved: what recovery did, the stored answers and record, the merge bases. */
export interface LockedState {
  root: string;
  exists: boolean;
  recovered: Recovered;
  stored: Stored;
  bases: ReadonlyMap<string, string>;
}

/** The first read, under the lock: recovery first, so what is read is whole. */
export function readLocked(root: string, lock: Lock, mode: Mode): LockedState {
  // What the lock found is what this run works on: a folder that appears meanwhile is another run's.
  const exists = lock.exists;
  const recovered = exists ? recover(root) : lock.clearedLeftover ? 'rolled back' : 'none';
  const stored = exists ? readStored(root) : {};
  // After recovery, which may have thrown away a dead run's staging: --check of nothing is a mistake.
  if (mode === 'check' && stored.yo?.[GENERATOR_NAME] === undefined && !stored.record)
    throw new InputError(
      `${root} holds no stack (no .yo-rc.json of this generator): --check compares a generated stack with its answers; run without --check to generate one`,
      'check',
    );
  return { root, exists, recovered, stored, bases: exists ? readBases(root) : new Map() };
}

/**
 * The second read, once the files are rendered: exactly the files the plan looks at (the rendered
 * and recorded ones, .env, the copies and their sources, the bookkeeping, and with --force the
 * names of the `.orig` copies it may keep) into the plan's StackState.
 */
export function readStackState(locked: LockedState, rendered: readonly RenderedFile[], model: Model, resolved: Resolved, force: boolean): StackState {
  const { root, exists, stored } = locked;
  const disk = new Map<string, DiskFile>();
  const unreadable = new Map<string, unknown>();
  const read = (p: string): boolean => {
    if (disk.has(p)) return true;
    if (!exists || unreadable.has(p)) return false;
    try {
      const d = readDisk(root, p);
      if (d) disk.set(p, d);
      return d !== undefined;
    } catch (e) {
      unreadable.set(p, e); // said by the plan when it looks at the file, in the order it looks
      return false;
    }
  };
  const files = [...Object.keys(stored.record?.files ?? {}), ...rendered.map((f) => f.path)];
  for (const p of files) read(p);
  // --force keeps a file of the person's it replaces as the first free `<file>.orig[.N]`.
  if (force) for (const p of files) if (disk.has(p)) backupName(p, read);
  const copyTargets = [...model.copies.map((c) => c.path), ...Object.keys(stored.record?.copies ?? {})];
  for (const p of [ENV_FILE, ...copyTargets, YO_RC, RECORD_FILE, BASE_FILE]) read(p);
  return { exists, yo: stored.yo, record: stored.record, bases: locked.bases, disk, unreadable, ...readSources(root, model, resolved, stored.record) };
}

/** The copies' sources: the contents of those this run copies, and which recorded ones still exist. */
function readSources(root: string, model: Model, resolved: Resolved, record: GenerationRecord | undefined): Pick<StackState, 'sources' | 'sourcesPresent'> {
  const sources = new Map<string, string>();
  for (const { answer, source } of model.copies) {
    const src = filePathOf(root, source);
    // Stored and outside the stack: never read again; the copy stands in.
    if (resolved.unread.includes(answer) || !existsSync(src)) continue;
    sources.set(source, readFileSync(src, 'utf8'));
  }
  const present = Object.values(record?.copies ?? {})
    .map((c) => c.source)
    .filter((s) => existsSync(filePathOf(root, s)));
  return { sources, sourcesPresent: new Set(present) };
}
