// The record: what the generator wrote last time, kept in the generated repository (meant to be
// committed). For each generated file the hash of the bytes written (to tell an edit from no edit)
// and, in base.txt, the previous render (the merge base). Secrets never enter it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { compareReleases } from '../facts/releases.js';
import { StateError } from '../errors.js';
import { isInsidePath } from './paths.js';
import { guardRecord } from './record-guard.js';
import { BASE_FILE, RECORD_DIR, RECORD_FILE } from '../facts/stack-files.js';

export { BASE_FILE, RECORD_FILE };
export const RECORD_FORMAT = 1;
export const GENERATOR_NAME = 'generator-bindplane-distributed';

export interface FileEntry {
  /** sha256 of the bytes written last time. */
  sha256: string;
  /** Octal file mode, such as "644". */
  mode: string;
  /** The bytes written were a merge with the person's edits, not a plain render. */
  merged?: true;
  /** No longer generated, but kept because the person had edited it. */
  orphaned?: true;
}

export interface GenerationRecord {
  generator: string;
  version: string;
  format: number;
  answers: { [key: string]: unknown };
  files: { [path: string]: FileEntry };
  /** Git-ignored copies of the person's files (credentials, certificates) made by the generator. */
  copies: { [path: string]: { source: string } };
}

function outside(file: string, p: string): StateError {
  return new StateError(
    `${file} names ${JSON.stringify(p)}, a path outside the repository; restore it from git, or delete the ${RECORD_DIR} folder to start over`,
  );
}

/** Reads the record, refusing one written by a newer generator or in an unknown format. */
export function readRecord(root: string, ownVersion: string): GenerationRecord | undefined {
  const file = path.join(root, RECORD_FILE);
  if (!existsSync(file)) return undefined;
  let rec: GenerationRecord;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as GenerationRecord;
  } catch (e) {
    throw new StateError(`${RECORD_FILE} is not valid JSON (${(e as Error).message}); restore it from git, or delete the ${RECORD_DIR} folder to start over`);
  }
  if (!rec || typeof rec !== 'object' || rec.generator !== GENERATOR_NAME || typeof rec.files !== 'object')
    throw new StateError(`${RECORD_FILE} was not written by ${GENERATOR_NAME}; restore it from git, or delete the ${RECORD_DIR} folder to start over`);
  if (rec.format > RECORD_FORMAT || compareReleases(String(rec.version), ownVersion) > 0)
    throw new StateError(
      `${RECORD_FILE} was written by ${GENERATOR_NAME} ${rec.version}, newer than this ${ownVersion}; run ${GENERATOR_NAME}@${rec.version} or later`,
    );
  rec.copies ??= {};
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const shapeOk =
    isObject(rec.answers) &&
    isObject(rec.files) &&
    isObject(rec.copies) &&
    Object.values(rec.files).every((f) => isObject(f) && typeof f.sha256 === 'string' && typeof f.mode === 'string') &&
    Object.values(rec.copies).every((c) => isObject(c) && typeof c.source === 'string');
  if (!shapeOk)
    throw new StateError(`${RECORD_FILE} is damaged (an entry has the wrong shape); restore it from git, or delete the ${RECORD_DIR} folder to start over`);
  // A record comes with a repository someone else may have written: it names only the generator's own files.
  guardRecord(rec);
  return rec;
}

const BASE_HEADER = [
  '# The previous render of each file generator-bindplane-distributed wrote: the merge base of the',
  '# next update, so your edits can be merged with a new render. Commit it; do not edit it.',
];
const SECTION = /^@@@ ("(?:[^"\\]|\\.)*") (\d+) lines?(, no final newline)?$/;

/** base.txt: for each file, a header line with its path and line count, then its lines as they are. */
export function serializeBases(bases: ReadonlyMap<string, string>): string {
  const out = [...BASE_HEADER];
  for (const file of [...bases.keys()].sort()) {
    const text = bases.get(file)!;
    const eol = text.endsWith('\n');
    const lines = text === '' ? [] : (eol ? text.slice(0, -1) : text).split('\n');
    out.push(`@@@ ${JSON.stringify(file)} ${lines.length} line${lines.length === 1 ? '' : 's'}${eol || text === '' ? '' : ', no final newline'}`, ...lines);
  }
  return `${out.join('\n')}\n`;
}

export function parseBases(text: string): Map<string, string> {
  const bases = new Map<string, string>();
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const m = SECTION.exec(lines[i]!);
    i++;
    if (!m) continue;
    const count = Number(m[2]);
    const body = lines.slice(i, i + count);
    if (body.length !== count)
      throw new StateError(`${BASE_FILE} is cut short at ${m[1]}; restore it from git, or delete the ${RECORD_DIR} folder to start over`);
    const file = JSON.parse(m[1]!) as string;
    if (!isInsidePath(file)) throw outside(BASE_FILE, file);
    bases.set(file, count === 0 ? '' : `${body.join('\n')}${m[3] ? '' : '\n'}`);
    i += count;
  }
  return bases;
}

export function readBases(root: string): Map<string, string> {
  const p = path.join(root, BASE_FILE);
  if (!existsSync(p)) return new Map();
  if (!statSync(p).isFile()) throw new StateError(`${BASE_FILE} is not a file; restore it from git, or delete the ${RECORD_DIR} folder to start over`);
  return parseBases(readFileSync(p, 'utf8'));
}

/** Stable JSON: keys in a fixed order so the same record gives the same bytes. */
export function serializeRecord(rec: GenerationRecord): string {
  const sortKeys = (o: { [k: string]: unknown }) =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  return `${JSON.stringify(
    {
      generator: rec.generator,
      version: rec.version,
      format: rec.format,
      answers: rec.answers,
      files: sortKeys(rec.files),
      copies: sortKeys(rec.copies),
    },
    null,
    2,
  )}\n`;
}
