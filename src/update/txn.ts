// All-or-nothing updates of a folder: stage every new file, write a journal (the commit point),
// apply by rename, then clean up. A run that finds a journal finishes the update; one that finds
// staging without a journal throws the staging away. Either way the folder ends wholly before or
// wholly after an interrupted update, even after SIGKILL.
//
// Durable across a power loss too, in this order: the staged files and their folders are fsynced
// before the journal, the journal and its folder before anything is applied, and the folders the
// renames changed before the journal goes. A first generation fsyncs its whole folder before the
// rename that puts it in place, and the parent after. The fsyncs of one step are issued together
// (on libuv's thread pool), so the file system commits them as one: one at a time, they made batch
// generation five times slower. Should a disk still lose a staged file, the journal's hashes tell,
// and recovery refuses to apply it.
import {
  closeSync,
  copyFileSync,
  existsSync,
  fchmodSync,
  fsync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InputError, StateError } from '../errors.js';
import { sha256 } from './hash.js';
import { linkOnPath } from './paths.js';
import { checkTargets, fsProblem } from './fs-guard.js';
import { guardJournal } from './record-guard.js';
import { RECORD_DIR, TXN_DIR } from '../facts/stack-files.js';

export { RECORD_DIR, TXN_DIR };
const JOURNAL = 'journal.json';

export type Op = { op: 'write'; path: string; content: string; mode: number } | { op: 'delete'; path: string };

type JournalOp = { op: 'write'; path: string; stage: string; mode: number; sha256: string } | { op: 'delete'; path: string } | { op: 'prune'; path: string };

interface Journal {
  format: 1;
  ops: JournalOp[];
}

// Tests kill the process at a numbered step to prove atomicity; nothing else sets this variable.
const crashAt = Number(process.env.BPD_TEST_CRASH_AT_STEP ?? 0);
let step = 0;
function checkpoint(): void {
  if (crashAt > 0 && ++step === crashAt) process.kill(process.pid, 'SIGKILL');
}

function writeFile(file: string, content: string, mode: number, durable: boolean): void {
  const fd = openSync(file, 'w', mode);
  try {
    writeSync(fd, content);
    fchmodSync(fd, mode); // the umask may have narrowed the mode given to open
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a folder: makes the names created, renamed or removed in it durable. */
function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const fsyncAsync = promisify(fsync);

/** fsync of files and folders, all at once, so the file system can commit them together. */
async function syncAll(paths: Iterable<string>): Promise<void> {
  const fds: number[] = [];
  try {
    for (const p of new Set(paths)) fds.push(openSync(p, 'r'));
    await Promise.all(fds.map((fd) => fsyncAsync(fd)));
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** The folders mkdir -p made for `dir`, and the one that holds the first of them: each gained a name. */
function madeFolders(dir: string, first: string | undefined): string[] {
  if (first === undefined) return [];
  const out: string[] = [];
  for (let d = dir; d.length >= first.length; d = path.dirname(d)) out.push(d);
  out.push(path.dirname(first));
  return out;
}

/** mkdir -p that asks the file system once per folder, and remembers which folders gained names. */
function folderMaker(): { mkdirP: (dir: string) => void; touched: Set<string> } {
  const made = new Set<string>();
  const touched = new Set<string>();
  return {
    touched,
    mkdirP: (dir) => {
      if (made.has(dir)) return;
      for (const d of madeFolders(dir, mkdirSync(dir, { recursive: true }))) touched.add(d);
      made.add(dir);
    },
  };
}

/** Folders that become empty when these files go, deepest first, never the root itself. */
function foldersToPrune(deleted: string[]): string[] {
  const dirs = new Set<string>();
  for (const p of deleted) {
    let d = path.posix.dirname(p);
    while (d !== '.' && d !== '/') {
      dirs.add(d);
      d = path.posix.dirname(d);
    }
  }
  return [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || a.localeCompare(b));
}

/** Applies the journal's ops; returns the folders they changed, to be fsynced before the journal goes. */
function applyJournal(root: string, journal: Journal, verify: boolean): Set<string> {
  const txn = path.join(root, TXN_DIR);
  const { mkdirP, touched } = folderMaker();
  for (const op of journal.ops) {
    const target = path.join(root, op.path);
    touched.add(path.dirname(target));
    if (op.op === 'write') {
      const staged = path.join(txn, 'stage', op.stage);
      // A missing staged file was already renamed into place by the interrupted run.
      if (existsSync(staged)) {
        // Recovery checks what it is about to apply; a run that staged the files itself knows them.
        if (verify && sha256(readFileSync(staged)) !== op.sha256)
          throw new StateError(
            `an interrupted update left ${op.path} damaged in ${TXN_DIR} (a power loss?); restore the folder from git, then delete ${TXN_DIR}`,
          );
        mkdirP(path.dirname(target));
        renameSync(staged, target);
      }
    } else if (op.op === 'delete') {
      if (existsSync(target)) unlinkSync(target);
    } else {
      try {
        if (existsSync(target) && readdirSync(target).length === 0) rmdirSync(target);
      } catch {
        // Not empty after all, or gone: either way nothing to prune.
      }
    }
    checkpoint();
  }
  return new Set([...touched].filter((d) => existsSync(d)));
}

function cleanup(root: string): void {
  const txn = path.join(root, TXN_DIR);
  // Drop the journal first: without it, leftovers are only staging, which is thrown away.
  if (existsSync(path.join(txn, JOURNAL))) unlinkSync(path.join(txn, JOURNAL));
  checkpoint();
  rmSync(txn, { recursive: true, force: true });
}

/** Finishes or rolls back an interrupted update. Returns what it did, for the log. */
export function recover(root: string): 'none' | 'finished' | 'rolled back' {
  const txn = path.join(root, TXN_DIR);
  if (!existsSync(txn)) return 'none';
  const journalFile = path.join(txn, JOURNAL);
  if (existsSync(journalFile)) {
    let journal: Journal;
    try {
      journal = JSON.parse(readFileSync(journalFile, 'utf8')) as Journal;
    } catch {
      throw new StateError(
        `the journal of an interrupted update in ${TXN_DIR} is damaged (a power loss?); restore the folder from git, then delete ${TXN_DIR}`,
      );
    }
    // Only this generator writes journals, but a repository can carry anything: stay inside it.
    guardJournal(journal.ops);
    const bad = journal.ops.find((op) => linkOnPath(root, op.path) !== undefined);
    if (bad)
      throw new InputError(
        `the journal in ${TXN_DIR} names ${JSON.stringify(bad.path)}, outside the repository (through a link); nothing was changed: delete ${TXN_DIR} after checking the folder`,
        'journal',
      );
    for (const d of applyJournal(root, journal, true)) syncFolder(d);
    cleanup(root);
    return 'finished';
  }
  rmSync(txn, { recursive: true, force: true });
  return 'rolled back';
}

export interface CommitOptions {
  /** Runs once every file is staged, before the commit point; if it throws, the staging goes and nothing changed. */
  beforeCommitPoint?: () => void;
}

/** Applies every op or none of them. */
export async function commit(root: string, ops: readonly Op[], options: CommitOptions = {}): Promise<void> {
  if (ops.length === 0) return;
  checkTargets(root, ops);
  const txn = path.join(root, TXN_DIR);
  const stage = path.join(txn, 'stage');
  const journal: Journal = { format: 1, ops: [] };
  const staged: string[] = [];
  let old: Map<string, string>;
  try {
    const made = madeFolders(stage, mkdirSync(stage, { recursive: true }));
    for (const op of ops) {
      if (op.op === 'write') {
        const name = String(staged.length + 1);
        staged.push(path.join(stage, name));
        writeFile(staged[staged.length - 1]!, op.content, op.mode, false);
        journal.ops.push({ op: 'write', path: op.path, stage: name, mode: op.mode, sha256: sha256(op.content) });
        checkpoint();
      }
    }
    const deleted = ops.filter((o) => o.op === 'delete').map((o) => o.path);
    for (const p of deleted) journal.ops.push({ op: 'delete', path: p });
    for (const d of foldersToPrune(deleted)) journal.ops.push({ op: 'prune', path: d });
    old = keepOld(root, journal, stage, staged.length);
    await syncAll([...staged, stage, ...made]);
    options.beforeCommitPoint?.();
  } catch (e) {
    // Before the commit point: nothing of the folder changed; the staging goes.
    rmSync(txn, { recursive: true, force: true });
    throw e;
  }
  // The commit point: once the journal exists under its final name, the update will complete.
  writeFile(path.join(txn, `${JOURNAL}.tmp`), JSON.stringify(journal), 0o600, true);
  checkpoint();
  renameSync(path.join(txn, `${JOURNAL}.tmp`), path.join(txn, JOURNAL));
  syncFolder(txn);
  checkpoint();
  let touched: Set<string>;
  try {
    touched = applyJournal(root, journal, false);
  } catch (e) {
    // The file system refused part way (what checkTargets cannot see: an immutable file, a full
    // disk): the folder goes back to how it was, so the next run, --check included, works.
    rollBack(root, journal, old);
    throw rolledBack(root, e);
  }
  await syncAll(touched);
  cleanup(root);
}

/** The file each op replaces or removes, kept in the staging (a hard link: no bytes copied), by path. */
function keepOld(root: string, journal: Journal, stage: string, after: number): Map<string, string> {
  const old = new Map<string, string>();
  for (const op of journal.ops) {
    if (op.op === 'prune') continue;
    const target = path.join(root, op.path);
    if (!existsSync(target)) continue;
    const name = String(after + old.size + 1);
    try {
      linkSync(target, path.join(stage, name));
    } catch {
      copyFileSync(target, path.join(stage, name));
    }
    old.set(op.path, name);
  }
  return old;
}

/**
 * Undoes what applyJournal did before it failed, as an update of its own: a journal that puts the
 * kept files back replaces the first (one rename), so a run killed meanwhile finishes the undo.
 */
function rollBack(root: string, journal: Journal, old: Map<string, string>): void {
  const txn = path.join(root, TXN_DIR);
  const undo: Journal = { format: 1, ops: [] };
  for (const op of journal.ops) {
    const applied = op.op === 'write' ? !existsSync(path.join(txn, 'stage', op.stage)) : op.op === 'delete' && !existsSync(path.join(root, op.path));
    if (!applied) continue;
    const kept = old.get(op.path);
    if (kept === undefined) undo.ops.push({ op: 'delete', path: op.path });
    else {
      const st = statSync(path.join(txn, 'stage', kept));
      undo.ops.push({ op: 'write', path: op.path, stage: kept, mode: st.mode & 0o777, sha256: sha256(readFileSync(path.join(txn, 'stage', kept))) });
    }
  }
  writeFile(path.join(txn, `${JOURNAL}.tmp`), JSON.stringify(undo), 0o600, true);
  renameSync(path.join(txn, `${JOURNAL}.tmp`), path.join(txn, JOURNAL));
  syncFolder(txn);
  for (const d of applyJournal(root, undo, false)) syncFolder(d);
  cleanup(root);
}

function rolledBack(root: string, e: unknown): unknown {
  const user = fsProblem(root, e);
  return user ? new InputError(`${user.message}; the update was rolled back, nothing was changed`, user.field) : e;
}

/**
 * A first generation into a folder that does not exist yet: it is built in `staging` (beside the
 * destination, made and locked by takeLock) and renamed into place, one atomic step. Killed before
 * the rename, there is no folder; the next run throws the leftover away. (An existing folder, even
 * an empty one, goes through commit(): it may be a mount point, a link, or carry a mode and group
 * of its own.)
 */
export async function commitFresh(root: string, staging: string, ops: readonly Op[]): Promise<void> {
  const { mkdirP, touched } = folderMaker();
  touched.add(staging);
  const written: string[] = [];
  for (const op of ops) {
    if (op.op !== 'write') throw new Error(`a first generation cannot ${op.op} ${op.path}`);
    const target = path.join(staging, op.path);
    mkdirP(path.dirname(target));
    touched.add(path.dirname(target));
    written.push(target);
    writeFile(target, op.content, op.mode, false);
    checkpoint();
  }
  await syncAll([...written, ...touched]);
  renameSync(staging, root);
  syncFolder(path.dirname(root));
  checkpoint();
}
