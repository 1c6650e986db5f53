// The file system as the person left it: their mistakes (a link, a folder made read-only, a file a
// `sudo` run left to root, a name too long) are bad input, said with the path and the fix, and
// found before anything is changed. Links are never followed in the stack's own state.
import { accessSync, constants, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError } from '../errors.js';
import { RECORD_DIR, YO_RC } from '../facts/stack-files.js';

const NAME_MAX = 255;
const PATH_MAX = 4095;

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? '';

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    if (['ENOENT', 'ENOTDIR'].includes(codeOf(e))) return undefined;
    throw e;
  }
}

/** A user's name for a uid, for messages ("belongs to root"). */
function ownerName(uid: number): string {
  if (uid === 0) return 'root';
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid));
    if (line) return line.split(':')[0]!;
  } catch {
    // no passwd file: the number says it
  }
  return `uid ${uid}`;
}

const myUid = () => (typeof process.getuid === 'function' ? process.getuid() : undefined);
const quoted = (p: string) => (/^[\w./@+-]+$/.test(p) ? p : JSON.stringify(p));

/** Refuses a destination the generator must not make a stack of: `/`, the home folder, a link, a name the file system cannot hold. */
export function guardDestination(root: string): void {
  for (const part of root.split(path.sep))
    if (Buffer.byteLength(part) > NAME_MAX)
      throw new InputError(
        `destination: the folder name ${JSON.stringify(`${part.slice(0, 40)}…`)} is ${Buffer.byteLength(part)} bytes, more than the ${NAME_MAX} a file system allows; choose a shorter name`,
        'dest',
      );
  if (Buffer.byteLength(root) > PATH_MAX) throw new InputError(`destination: the path is longer than ${PATH_MAX} bytes; choose a shorter one`, 'dest');
  if (root === path.parse(root).root || root === path.resolve(homedir()))
    throw new InputError(
      `destination ${JSON.stringify(root)} is ${root === path.parse(root).root ? 'the root folder' : 'your home folder'}: a stack needs a folder of its own (its files, .env and .gitignore go at the top); give a new folder such as ${path.join(root, 'bindplane')}`,
      'dest',
    );
  const st = lstatOrUndefined(root);
  if (st?.isSymbolicLink()) {
    let target: string;
    try {
      target = statSync(root).isDirectory()
        ? `it leads to ${JSON.stringify(path.resolve(path.dirname(root), readlinkSync(root)))}`
        : 'it leads to something that is not a folder';
    } catch (e) {
      target = codeOf(e) === 'ELOOP' ? 'a loop of links' : 'a dangling link: it leads nowhere';
    }
    throw new InputError(
      `destination ${JSON.stringify(root)} is a symbolic link (${target}); the generator follows no link into a stack: give the folder itself`,
      'dest',
    );
  }
}

function refuseLink(root: string, rel: string): never {
  throw new InputError(
    `${rel} is a symbolic link: the stack's own state (${RECORD_DIR}/ and everything in it, ${YO_RC}) is never followed through a link; ` +
      `replace it with the real file or folder (or delete ${RECORD_DIR} to start over), then run again; nothing was read or changed`,
    rel,
  );
}

/**
 * Before the lock, the recovery or any read: the stack's own state holds no link, anywhere.
 * (`lstat` only: nothing is opened through what is checked.)
 */
/** A folder's entries, sorted; none when it is gone: another run may remove its staging (txn/) while this one looks. */
function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return [];
    throw e;
  }
}

export function guardStackState(root: string): void {
  const yo = lstatOrUndefined(path.join(root, YO_RC));
  if (yo?.isSymbolicLink()) refuseLink(root, YO_RC);
  const walk = (rel: string, depth: number): void => {
    const st = lstatOrUndefined(path.join(root, rel));
    if (!st) return;
    if (st.isSymbolicLink()) refuseLink(root, rel);
    if (!st.isDirectory() || depth > 8) return;
    for (const name of entriesOf(path.join(root, rel))) walk(`${rel}/${name}`, depth + 1);
  };
  const dir = lstatOrUndefined(path.join(root, RECORD_DIR));
  if (dir && !dir.isDirectory() && !dir.isSymbolicLink())
    throw new InputError(`${RECORD_DIR} is not a folder; move it away (it is the generator's own folder), then run again`, RECORD_DIR);
  walk(RECORD_DIR, 0);
}

/** Why the file system refused, in the person's words with the path and the fix; undefined for what is not the person's to fix. */
export function fsProblem(root: string, e: unknown): InputError | undefined {
  const code = codeOf(e);
  // A rename names its target as `dest`: that is the path the person knows.
  const err = e as NodeJS.ErrnoException & { dest?: string };
  const where = err.dest ?? err.path;
  if (typeof where !== 'string' || !['EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG', 'EROFS', 'ENOSPC', 'EDQUOT'].includes(code)) return undefined;
  const rel = path.relative(root, where) || '.';
  const shown = quoted(rel);
  const st = lstatOrUndefined(where);
  const uid = myUid();
  if ((code === 'EACCES' || code === 'EPERM') && st && uid !== undefined && st.uid !== uid)
    return new InputError(`${rel} belongs to ${ownerName(st.uid)} (a run with sudo?): \`sudo chown $USER ${shown}\`, then run again`, rel);
  if (code === 'EPERM')
    return new InputError(
      `${rel} cannot be replaced (EPERM: an immutable or append-only file?): see \`lsattr ${shown}\`, and \`sudo chattr -i ${shown}\` if you mean it to change, then run again`,
      rel,
    );
  if (code === 'EACCES') {
    const dir = st?.isDirectory() ? rel : path.dirname(rel);
    return new InputError(`${rel} cannot be read or replaced (EACCES): \`chmod u+rw ${shown}\` and \`chmod u+rwx ${quoted(dir)}\`, then run again`, rel);
  }
  if (code === 'ELOOP') return new InputError(`${rel} is a loop of symbolic links; remove it, then run again`, rel);
  if (code === 'ENAMETOOLONG') return new InputError(`${rel}: the path is too long for the file system; choose a shorter destination`, rel);
  if (code === 'EROFS') return new InputError(`${rel} is on a read-only file system; choose another destination`, rel);
  return new InputError(`${rel}: the disk is full (${code}); make room, then run again`, rel);
}

/** Runs `f`, turning what the file system refuses into the person's error (exit 2) instead of a stack trace (exit 70). */
export async function asUserError<T>(root: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw fsProblem(root, e) ?? e;
  }
}

/** The nearest folder that exists on the way to `abs` (the one a new file's folders are made in). */
function existingFolder(abs: string): string {
  let d = path.dirname(abs);
  while (!lstatOrUndefined(d)) d = path.dirname(d);
  return d;
}

function writableFolder(root: string, dir: string): void {
  const rel = path.relative(root, dir) || '.';
  const st = lstatSync(dir);
  const uid = myUid();
  let ok = (st.mode & 0o200) !== 0;
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    ok = false;
  }
  if (ok) return;
  const fix = st.uid !== uid && uid !== undefined ? `it belongs to ${ownerName(st.uid)}: \`sudo chown $USER ${quoted(rel)}\`` : `\`chmod u+w ${quoted(rel)}\``;
  throw new InputError(
    `${rel === '.' ? 'the destination' : `${rel}/`} is read-only, so the files in it cannot be replaced: ${fix}, then run again; nothing was changed`,
    rel,
  );
}

/**
 * Before the commit point: every file an update writes or removes can be, and the person has not
 * said otherwise. A file of another user (a `sudo` run's) or made read-only is refused, never
 * replaced: read-only means "do not write here", and the generator keeps to it, as root too.
 */
export function checkTargets(root: string, ops: readonly { op: string; path: string }[]): void {
  const uid = myUid();
  const folders = new Set<string>([path.join(root, RECORD_DIR)]);
  for (const op of ops) {
    const abs = path.join(root, op.path);
    const st = lstatOrUndefined(abs);
    if (st?.isSymbolicLink()) throw new InputError(`${op.path} is a symbolic link; the generator replaces only real files inside the destination`, op.path);
    if (st && uid !== undefined && st.uid !== uid)
      throw new InputError(
        `${op.path} belongs to ${ownerName(st.uid)} (a run with sudo?): \`sudo chown $USER ${quoted(op.path)}\`, then run again; nothing was changed`,
        op.path,
      );
    if (st && (st.mode & 0o200) === 0)
      throw new InputError(
        `${op.path} is read-only (mode ${(st.mode & 0o777).toString(8)}): the generator does not replace a file you made read-only; \`chmod u+w ${quoted(op.path)}\`, or move it away, then run again; nothing was changed`,
        op.path,
      );
    folders.add(existingFolder(abs));
  }
  for (const d of [...folders].sort()) if (lstatOrUndefined(d)) writableFolder(root, d);
}
