// The stack's own files and the merge markers, as the generated scripts, README and .gitignore name
// them: from src/facts/stack-files.ts, so a template never spells one of them itself.
import path from 'node:path';
import { BASE_FILE, LOCK_FILE, MERGE_MARKERS, RECORD_DIR, RECORD_FILE, TXN_DIR, YO_RC } from '../../facts/stack-files.js';

export interface StackFiles {
  yoRc: string;
  recordDir: string;
  recordFile: string;
  /** The record's and the base's names inside recordDir. */
  recordName: string;
  baseName: string;
  txnDir: string;
  lockFile: string;
  /** The bare markers (`<<<<<<<`), and the first words of a marker line (`<<<<<<< yours`) that scripts grep for. */
  markers: { ours: string; sep: string; theirs: string; oursHead: string; theirsHead: string };
}

const words = (line: string, n: number) => line.split(' ').slice(0, n).join(' ');

export function stackFiles(): StackFiles {
  return {
    yoRc: YO_RC,
    recordDir: RECORD_DIR,
    recordFile: RECORD_FILE,
    recordName: path.posix.basename(RECORD_FILE),
    baseName: path.posix.basename(BASE_FILE),
    txnDir: TXN_DIR,
    lockFile: LOCK_FILE,
    markers: {
      ours: words(MERGE_MARKERS.ours, 1),
      sep: MERGE_MARKERS.sep,
      theirs: words(MERGE_MARKERS.theirs, 1),
      oursHead: words(MERGE_MARKERS.ours, 2),
      theirsHead: words(MERGE_MARKERS.theirs, 2),
    },
  };
}
