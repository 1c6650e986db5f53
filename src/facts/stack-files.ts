// The names of the stack's own state, in one place: what the generator keeps beside the files it
// renders, and the markers it leaves in a file it could not merge. Everything here is data a
// repository carries; src/update/record-guard.ts says what of it the generator may act on. Below
// every stage, so the model can hand these names to the templates and the update can act on them.
export const RECORD_DIR = '.bindplane-distributed';
export const TXN_DIR = `${RECORD_DIR}/txn`;
export const RECORD_FILE = `${RECORD_DIR}/record.json`;
/** Every previous render in one plain-text file: diffable line by line, and one file to write, not one per file. */
export const BASE_FILE = `${RECORD_DIR}/base.txt`;
export const YO_RC = '.yo-rc.json';
export const ENV_FILE = '.env';
/** The lock, relative to the destination (or to the staging folder of a first generation). */
export const LOCK_FILE = `${RECORD_DIR}/lock`;

/** The lines around the two sides of a merge the generator could not make (update/merge.ts). */
export const MERGE_MARKERS = {
  ours: '<<<<<<< yours (the file as you edited it)',
  sep: '=======',
  theirs: '>>>>>>> generator (the new render)',
} as const;
