// The names of the stack's own state, in one place: what the generator keeps beside the files it
// renders. Everything here is data a repository carries; src/update/record-guard.ts says what of
// it the generator may act on.
export const RECORD_DIR = '.bindplane-distributed';
export const TXN_DIR = `${RECORD_DIR}/txn`;
export const RECORD_FILE = `${RECORD_DIR}/record.json`;
/** Every previous render in one plain-text file: diffable line by line, and one file to write, not one per file. */
export const BASE_FILE = `${RECORD_DIR}/base.txt`;
export const YO_RC = '.yo-rc.json';
export const ENV_FILE = '.env';
