// The record and the journal are claims, not orders: a repository carries them, and anyone who can
// commit to it can write them. Whatever they say, the generator deletes or replaces only the files
// it renders itself (the FILES list) and the copies it makes under local/; it writes its own
// bookkeeping and .env besides, and a `.orig` copy of a file --force replaces. Nothing else: never
// .git/, never a file of the person's, never outside the stack.
import { InputError } from '../errors.js';
import { LOCAL_COPIES } from '../model/core/names.js';
import { FILES } from '../render/files.js';
import { isInsidePath } from './paths.js';
import { BASE_FILE, ENV_FILE, RECORD_DIR, RECORD_FILE, TXN_DIR, YO_RC } from '../facts/stack-files.js';

/** Every path a stack of this generator can have, whatever the answers. */
export const GENERATED_PATHS: ReadonlySet<string> = new Set(FILES.map((f) => f.path));
/** The git-ignored copies of the person's files. */
export const COPY_PATHS: ReadonlySet<string> = new Set(Object.values(LOCAL_COPIES));
const BOOKKEEPING: ReadonlySet<string> = new Set([YO_RC, RECORD_FILE, BASE_FILE, ENV_FILE]);

/** The copy --force keeps of a file of the person's it replaces: `README.md.orig`, then `README.md.orig.2`, ... */
export function backupName(p: string, taken: (name: string) => boolean): string {
  for (let n = 1; ; n++) {
    const name = n === 1 ? `${p}.orig` : `${p}.orig.${n}`;
    if (!taken(name)) return name;
  }
}

const BACKUP = /^(.+)\.orig(\.[1-9]\d*)?$/;
const isBackup = (p: string) => {
  const m = BACKUP.exec(p);
  return m !== null && GENERATED_PATHS.has(m[1]!);
};

/** Folders that hold generated files or copies: the only ones an update may remove once empty. */
const OWN_FOLDERS: ReadonlySet<string> = new Set(
  [...GENERATED_PATHS, ...COPY_PATHS].flatMap((p) => {
    const out: string[] = [];
    for (let d = p.split('/').slice(0, -1); d.length > 0; d = d.slice(0, -1)) out.push(d.join('/'));
    return out;
  }),
);

const own = (p: string) => GENERATED_PATHS.has(p) || COPY_PATHS.has(p);

/** What an operation of a journal may touch: undefined when it may, else why not. */
export function journalOpProblem(op: { op?: unknown; path?: unknown }): string | undefined {
  const p = op.path;
  if (!isInsidePath(p)) return 'outside the repository';
  if (op.op === 'write' && (own(p) || BOOKKEEPING.has(p) || isBackup(p))) return undefined;
  if (op.op === 'delete' && own(p)) return undefined;
  if (op.op === 'prune' && OWN_FOLDERS.has(p)) return undefined;
  return 'not a file the generator writes';
}

function refuse(file: string, key: string, entry: string, why: string): never {
  throw new InputError(
    `${file}: the entry ${JSON.stringify(entry)} in "${key}" is ${why}; the generator deletes or replaces only the files it renders ` +
      `and its copies in local/, whatever the record says. Remove that entry (or restore ${file} from git), then run again`,
    'record',
  );
}

/** Refuses a record whose entries name anything but the generator's own files and copies (exit 2, naming the entry). */
export function guardRecord(rec: { files: object; copies: object }): void {
  for (const p of Object.keys(rec.files)) {
    if (!isInsidePath(p)) refuse(RECORD_FILE, 'files', p, 'a path outside the stack');
    if (!GENERATED_PATHS.has(p)) refuse(RECORD_FILE, 'files', p, 'not a file this generator writes');
  }
  for (const p of Object.keys(rec.copies)) {
    if (!isInsidePath(p)) refuse(RECORD_FILE, 'copies', p, 'a path outside the stack');
    if (!COPY_PATHS.has(p)) refuse(RECORD_FILE, 'copies', p, `not one of the generator's copies (${[...COPY_PATHS].join(', ')})`);
  }
}

/** Refuses a journal that names anything but the generator's own files (exit 2, naming the entry). */
export function guardJournal(ops: unknown): void {
  if (!Array.isArray(ops))
    throw new InputError(`the journal in ${TXN_DIR} is damaged (no list of operations); delete ${TXN_DIR} after checking the folder`, 'journal');
  for (const op of ops as { op?: unknown; path?: unknown; stage?: unknown }[]) {
    const problem = op && typeof op === 'object' ? journalOpProblem(op) : 'not an operation';
    const badStage = op?.op === 'write' && !/^\d+$/.test(String(op.stage));
    if (problem || badStage)
      throw new InputError(
        `the journal in ${TXN_DIR} names ${JSON.stringify(op?.path)}, ${problem ?? 'with a staged file outside its folder'}; ` +
          `nothing was changed: delete ${TXN_DIR} after checking the folder (${RECORD_DIR} is the generator's own)`,
        'journal',
      );
  }
}
