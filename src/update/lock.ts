// One run at a time per destination: two updates interleaving would take each other's staging for
// an interrupted update, or merge against each other's half-written files.
//
// The lock is a file inside the destination, .bindplane-distributed/lock, holding the pid, host and
// a token of the run. It is written aside and hard-linked into place, so it appears whole, and
// link(2) fails if it exists, so two runs cannot both create it. A first generation has no
// destination yet: it builds the folder aside (see freshStagingDir) and the lock is inside that
// folder from the start, put there by renaming a folder of this run's own onto the staging name; the
// rename of the staging folder into place then carries the lock into the destination.
//
// A lock whose run is gone (same host, pid not alive) is cleared under a second lock, the guard,
// after checking that it is still the same lock: a run can never clear a lock another run has just
// taken. Libraries such as proper-lockfile judge staleness by the lock's age, refreshed by a timer
// that a synchronous run never lets fire, and leave a crashed run's lock in the way until it ages.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  readdirSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { BusyError, InputError, StateError } from '../errors.js';
import { RECORD_DIR } from './txn.js';

export { LOCK_FILE } from '../facts/stack-files.js';
import { LOCK_FILE } from '../facts/stack-files.js';

/** The folder a first generation is built in, beside the destination, before one rename puts it in place. */
export function freshStagingDir(root: string): string {
  return path.join(path.dirname(root), `.${path.basename(root)}.bindplane-distributed-new`);
}

export interface Lock {
  /** The destination existed when the lock was taken; if not, nothing is read from it. */
  exists: boolean;
  /** A first generation's staging folder, locked, to be renamed into place: set for runs that may write and found no destination. */
  staging?: string;
  /** A first generation's leftover of a run that is gone was thrown away. */
  clearedLeftover: boolean;
  release: () => void;
}

interface Holder {
  pid: number;
  host: string;
  text: string;
}

const HOST = hostname();
const ATTEMPTS = 50;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): Holder | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
  const m = /^(\d+) (\S+) /.exec(text);
  // Unreadable content is never judged stale: only a person can tell it is.
  return { pid: m ? Number(m[1]) : 0, host: m ? m[2]! : '', text };
}

/** A holder that certainly is gone: a dead pid on this host (or this very pid, in an earlier process). Another host's runs cannot be checked. */
function gone(h: Holder): boolean {
  if (h.host !== HOST || h.pid <= 0) return false;
  return h.pid === process.pid || !alive(h.pid);
}

function busy(root: string, h: Holder, remove: string): BusyError {
  const who = h.pid > 0 ? `pid ${h.pid}${h.host === HOST ? '' : ` on ${h.host}`}` : 'unknown';
  return new BusyError(
    `another bindplane-distributed run (${who}) is working on ${root}; run again when it has finished (or, if no such run exists, delete ${remove})`,
  );
}

const isCode = (e: unknown, ...codes: string[]) => codes.includes((e as NodeJS.ErrnoException).code ?? '');

/** A read-only place: nothing will be written there either, so there is nothing to guard. */
const readOnly = (e: unknown) => isCode(e, 'EACCES', 'EROFS', 'EPERM');

/** Removes a folder in one step (rename away, then delete), so no one sees it half removed. */
function discard(dir: string): void {
  const away = `${dir}.gone.${process.pid}`;
  try {
    renameSync(dir, away);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return;
    throw e;
  }
  rmSync(away, { recursive: true, force: true });
}

/**
 * Clears a lock whose run is gone, under a guard (a file beside what is cleared) that only one run can hold, once it has checked
 * that the lock is still the one it judged: a lock of a dead run goes only through the guard, and
 * the token tells it from a lock taken since.
 */
function clearStale(root: string, lockFile: string, seen: Holder, guard: string, clear: () => void): void {
  let fd: number;
  try {
    fd = openSync(guard, 'wx', 0o644);
  } catch (e) {
    if (!isCode(e, 'EEXIST')) throw e;
    const h = readHolder(guard);
    if (!h) return; // cleared meanwhile: look again
    if (gone(h))
      throw new StateError(
        `a run that died while clearing a stale lock left ${guard}; if no bindplane-distributed run is working on ${root}, delete it and run again`,
      );
    throw busy(root, h, guard);
  }
  try {
    writeSync(fd, `${process.pid} ${HOST} clearing\n`);
    closeSync(fd);
    if (readHolder(lockFile)?.text === seen.text) clear();
  } finally {
    unlinkSync(guard);
  }
}

/** A leftover staging folder with no lock in it (an older release's, or not ours at all): only a person can judge it. */
function lockless(root: string, staging: string): StateError {
  return new StateError(
    `${staging} is left from an interrupted first generation of ${root}; if no bindplane-distributed run is working on it, delete it and run again`,
  );
}

/** Writes this run's lock content to a file of its own, to be linked or renamed into place. */
function ownLock(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o644 });
}

type Attempt = Lock | 'again';

/** What one takeLock call carries from attempt to attempt. */
interface Ctx {
  /** This run's lock content: pid, host and a random token. */
  text: string;
  /** A dead first generation's staging was thrown away. */
  cleared: boolean;
  /** Attempts that found a staging folder without a lock. */
  lockless: number;
}

/**
 * A run killed between writing its own file and linking it (or removing it) leaves `lock.<pid>`;
 * the holder of the lock removes those of runs that are gone, so no trace outlives them.
 */
function sweepDeadOwnFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = Number(name.slice(5));
    if (!/^lock\.\d+$/.test(name) || pid === process.pid) continue;
    const h = readHolder(path.join(dir, name));
    if (!h) continue;
    // Killed between creating the file and writing it: empty, so only its name tells whose it was.
    // Taking away another host's file this early costs that run one more attempt, nothing else.
    const dead = h.pid > 0 ? h.host === HOST && !alive(h.pid) : !alive(pid);
    if (dead) rmSync(path.join(dir, name), { force: true });
  }
}

/** The destination exists: the lock file inside it. */
function lockExisting(root: string, { text }: Ctx): Attempt {
  const file = path.join(root, LOCK_FILE);
  const dir = path.dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (readOnly(e)) return { exists: true, clearedLeftover: false, release: () => {} };
    if (isCode(e, 'ENOENT')) return 'again'; // the destination itself went away
    throw e;
  }
  const own = `${file}.${process.pid}`;
  try {
    ownLock(own, text);
  } catch (e) {
    if (readOnly(e)) return { exists: true, clearedLeftover: false, release: () => {} };
    throw e;
  }
  try {
    linkSync(own, file);
    sweepDeadOwnFiles(dir);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return 'again'; // a run removed the empty folder it had made
    if (!isCode(e, 'EEXIST')) throw e;
    const h = readHolder(file);
    if (!h) return 'again'; // released meanwhile
    if (!gone(h)) throw busy(root, h, file);
    clearStale(root, file, h, `${file}.clear`, () => unlinkSync(file));
    return 'again';
  } finally {
    rmSync(own, { force: true });
  }
  return {
    exists: true,
    clearedLeftover: false,
    release: () => {
      if (readHolder(file)?.text === text) unlinkSync(file);
      // A run that found no stack leaves no trace of its lock either, nor of a dead run's (rmdir
      // takes only an empty folder; a run that has just made it again retries on ENOENT).
      try {
        rmdirSync(dir);
      } catch {
        // a stack was written there, or another run uses the folder now
      }
    },
  };
}

/** Folders made on the way to a destination that was never written go again, deepest first. */
function removeMadeParents(root: string, madeParent: string | undefined): void {
  if (madeParent === undefined || existsSync(root)) return;
  for (let d = path.dirname(root); d.length >= madeParent.length; d = path.dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

/** A first generation: the staging folder, made with the lock already inside. */
function lockFresh(root: string, ctx: Ctx): Attempt {
  const { text } = ctx;
  const staging = freshStagingDir(root);
  const parent = path.dirname(root);
  let madeParent: string | undefined;
  try {
    madeParent = mkdirSync(parent, { recursive: true });
  } catch (e) {
    if (readOnly(e))
      throw new InputError(
        `destination ${JSON.stringify(root)}: cannot create it (${(e as NodeJS.ErrnoException).code}); choose a folder you may write in`,
        'dest',
      );
    throw e;
  }
  const removeParents = () => removeMadeParents(root, madeParent);
  const mine = `${staging}.${process.pid}`;
  try {
    rmSync(mine, { recursive: true, force: true });
    mkdirSync(path.join(mine, RECORD_DIR), { recursive: true });
    ownLock(path.join(mine, LOCK_FILE), text);
    try {
      renameSync(mine, staging);
    } catch (e) {
      if (!isCode(e, 'ENOTEMPTY', 'EEXIST', 'ENOTDIR')) throw e;
      const h = readHolder(path.join(staging, LOCK_FILE));
      if (!h) {
        // Renamed into place or thrown away meanwhile, unless it stays without a lock.
        if (existsSync(staging) && !existsSync(root) && ++ctx.lockless >= 3) throw lockless(root, staging);
        return 'again';
      }
      if (!gone(h)) throw busy(root, h, staging);
      // A first generation whose run died: thrown away.
      clearStale(root, path.join(staging, LOCK_FILE), h, `${staging}.clear`, () => {
        discard(staging);
        ctx.cleared = true;
      });
      return 'again';
    }
  } finally {
    rmSync(mine, { recursive: true, force: true });
  }
  if (existsSync(root)) {
    // Another run renamed its staging into place between this run's look and its rename.
    discard(staging);
    return 'again';
  }
  return {
    exists: false,
    staging,
    clearedLeftover: ctx.cleared,
    release: () => {
      if (readHolder(path.join(staging, LOCK_FILE))?.text === text) discard(staging);
      else if (readHolder(path.join(root, LOCK_FILE))?.text === text) unlinkSync(path.join(root, LOCK_FILE));
      removeParents();
    },
  };
}

/** A read-only run on a destination that does not exist: nothing to guard, but a dead run's leftover goes. */
function lockAbsent(root: string, ctx: Ctx): Attempt {
  const staging = freshStagingDir(root);
  const lockFile = path.join(staging, LOCK_FILE);
  const h = readHolder(lockFile);
  if (h && gone(h)) {
    try {
      clearStale(root, lockFile, h, `${staging}.clear`, () => {
        discard(staging);
        ctx.cleared = true;
      });
    } catch (e) {
      if (!(e instanceof BusyError) && !readOnly(e)) throw e;
    }
  }
  return existsSync(root) ? 'again' : { exists: false, clearedLeftover: ctx.cleared, release: () => {} };
}

/**
 * Takes the lock of a destination, or says which run holds it (BusyError). `create`: the run may
 * write, so a destination that does not exist yet is locked through its staging folder.
 */
export function takeLock(root: string, create: boolean): Lock {
  const ctx: Ctx = { text: `${process.pid} ${HOST} ${randomBytes(8).toString('hex')}\n`, cleared: false, lockless: 0 };
  // Before anything is made: an interrupt is then handled at the run's next pause, not by dying mid-step.
  const interrupts = onInterrupt();
  try {
    for (let i = 0; i < ATTEMPTS; i++) {
      const got = existsSync(root) ? lockExisting(root, ctx) : create ? lockFresh(root, ctx) : lockAbsent(root, ctx);
      if (got !== 'again') return interrupts.guard(got);
    }
  } catch (e) {
    interrupts.off();
    throw e;
  }
  interrupts.off();
  throw new BusyError(`other bindplane-distributed runs kept taking and releasing the lock of ${root}; run again`);
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ctrl-C (or a kill) while the lock is held: the lock is released, which throws a first
 * generation's staging away, and the process then ends by the same signal. Without this, node dies
 * at once and leaves the lock behind (issue 19). An update past its commit point is finished by
 * the next run, as after SIGKILL.
 */
function onInterrupt(): { guard: (lock: Lock) => Lock; off: () => void } {
  let release: (() => void) | undefined;
  // The handlers come off only after the release: without them a signal has its default action,
  // and one that came between the two would end the process with the lock still in place.
  const handler = (signal: NodeJS.Signals) => {
    release?.();
    off();
    process.kill(process.pid, signal);
  };
  const off = () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    off,
    guard: (lock) => {
      let released = false;
      release = () => {
        if (released) return;
        released = true;
        lock.release();
      };
      return {
        ...lock,
        release: () => {
          release!();
          off();
        },
      };
    },
  };
}
