// Decides, file by file, what an update does: compare the new render with what is on disk and with
// what was generated last time (the record). Pure: reads nothing, writes nothing.
import type { RenderedFile } from '../render/index.js';
import { hasConflictMarkers, mergeThreeWay } from './merge.js';
import { sha256 } from './hash.js';
import type { FileEntry } from './record.js';
import { backupName } from './record-guard.js';

export type Action =
  | 'create' // not on disk: written
  | 'update' // as the generator rendered it last time: replaced by the new render
  | 'merge' // edited by the person and changed by the generator: merged cleanly
  | 'conflict' // edited and changed in overlapping places: written with conflict markers
  | 'replace' // edited, replaced by the new render because of --force
  | 'delete' // no longer generated and as last rendered: removed
  | 'keep' // edited, and nothing to bring in (or no longer generated): left as the person has it
  | 'deleted' // deleted by the person: stays deleted
  | 'restore' // deleted by the person, written again because of --restore
  | 'unchanged'; // already as it should be

export interface FilePlan {
  path: string;
  action: Action;
  /** Why, in words, for keep, deleted and replace. */
  note?: string;
  /** Bytes to write (create, update, merge, conflict, replace, restore). */
  write?: string;
  mode: number;
  /** The record entry after the update; undefined drops the file from the record. */
  entry?: FileEntry;
  /** The render to keep as the next merge base; undefined keeps no base. */
  base?: string;
  /** Disk bytes before the update, for diffs. */
  before?: string;
}

export interface DiskFile {
  content: string;
  mode: number;
}

export interface PlanInput {
  rendered: readonly RenderedFile[];
  /** Entries of the previous record (empty on a first run). */
  record: { [path: string]: FileEntry };
  /** The previous render of each recorded file. */
  base: (path: string) => string | undefined;
  /** What is on disk now. */
  disk: (path: string) => DiskFile | undefined;
  force: boolean;
  restore: ReadonlySet<string>;
}

const modeText = (mode: number) => (mode & 0o777).toString(8);

function entryFor(written: string, mode: number, extra: Partial<FileEntry> = {}): FileEntry {
  return { sha256: sha256(written), mode: modeText(mode), ...extra };
}

/** Files that hold unresolved conflict markers from an earlier merge. */
export function unresolvedConflicts(input: Pick<PlanInput, 'record' | 'disk' | 'base'>): string[] {
  return Object.keys(input.record)
    .filter((p) => {
      const d = input.disk(p);
      return d !== undefined && hasConflictMarkers(d.content) && !hasConflictMarkers(input.base(p) ?? '');
    })
    .sort();
}

/** Files that exist on disk where the generator would write, but that it did not write. */
export function foreignFiles(input: PlanInput): string[] {
  return input.rendered
    .filter((f) => {
      if (input.record[f.path]) return false;
      const d = input.disk(f.path);
      return d !== undefined && d.content !== f.content;
    })
    .map((f) => f.path);
}

/**
 * Whether a file holds nothing of the person's. The previous render decides; without it (a damaged
 * record) only bytes the generator wrote from a plain render count, never a merge's.
 */
function isPristine(content: string, base: string | undefined, rec: FileEntry): boolean {
  return base !== undefined ? content === base : !rec.merged && sha256(content) === rec.sha256;
}

export function planFiles(input: PlanInput): FilePlan[] {
  const plans: FilePlan[] = [];
  const wanted = new Set(input.rendered.map((f) => f.path));
  for (const f of input.rendered) plans.push(planWanted(f, input));
  for (const p of Object.keys(input.record).sort()) if (!wanted.has(p)) plans.push(planStale(p, input));
  return withBackups(plans, input);
}

/**
 * --force replaces (or removes) files that hold the person's bytes: each is kept beside, as
 * `<file>.orig` (a free name), with its mode, and the plan says so. Not recorded: the copy is theirs.
 */
function withBackups(plans: FilePlan[], input: PlanInput): FilePlan[] {
  const taken = new Set<string>();
  const out: FilePlan[] = [];
  for (const p of plans) {
    out.push(p);
    const theirs = p.action === 'replace' || (p.action === 'delete' && p.note !== 'no longer generated');
    const disk = theirs ? input.disk(p.path) : undefined;
    if (!disk) continue;
    const name = backupName(p.path, (n) => taken.has(n) || input.disk(n) !== undefined);
    taken.add(name);
    p.note = `${p.note}; the file as it was is kept as ${name}`;
    out.push({ path: name, action: 'create', note: `your ${p.path} as it was before --force`, write: disk.content, mode: disk.mode });
  }
  return out;
}

function planWanted(f: RenderedFile, input: PlanInput): FilePlan {
  const rec = input.record[f.path];
  const disk = input.disk(f.path);
  const fresh = (action: Action, note?: string): FilePlan => ({
    path: f.path,
    action,
    note,
    write: f.content,
    mode: f.mode,
    entry: entryFor(f.content, f.mode),
    base: f.content,
    before: disk?.content,
  });
  if (!disk) return planMissing(f, rec, input, fresh);
  const same = disk.content === f.content;
  // Only the executable bit: git keeps no other, and a umask of 002 makes 664 where we write 644.
  const modeOk = ((disk.mode & 0o111) !== 0) === ((f.mode & 0o111) !== 0);
  // Identical bytes are the render, whoever wrote them: adopted as they are (a file the generator did not write, too).
  if (same)
    return {
      path: f.path,
      action: modeOk ? 'unchanged' : 'update',
      write: modeOk ? undefined : f.content,
      mode: f.mode,
      entry: entryFor(f.content, f.mode),
      base: f.content,
      before: disk.content,
    };
  // Not written by the generator and different: the caller refuses it unless forced.
  if (!rec) return fresh('replace', 'it was not written by the generator; replaced because of --force');
  return planEdited(f, rec, disk, input, fresh);
}

/** A file to write that is not on disk: new, restored, or deleted by the person. */
function planMissing(f: RenderedFile, rec: FileEntry | undefined, input: PlanInput, fresh: (action: Action, note?: string) => FilePlan): FilePlan {
  if (!rec) return fresh('create');
  if (input.restore.has(f.path)) return fresh('restore', 'written again because of --restore');
  return {
    path: f.path,
    action: 'deleted',
    note: `you deleted it; it stays deleted; --restore ${f.path} brings it back`,
    mode: f.mode,
    // The record stays as it was: a deletion is the person's decision, not drift.
    entry: rec,
    base: input.base(f.path),
  };
}

/** A recorded file whose bytes differ from the new render: updated, replaced, kept or merged. */
function planEdited(f: RenderedFile, rec: FileEntry, disk: DiskFile, input: PlanInput, fresh: (action: Action, note?: string) => FilePlan): FilePlan {
  // The previous render decides: a file equal to it holds nothing of the person's. (Bytes written
  // last time are not enough: after a merge they hold the person's lines too.)
  const base = input.base(f.path);
  if (isPristine(disk.content, base, rec)) return fresh('update');
  if (input.force) return fresh('replace', 'your edits were replaced by the new render because of --force');
  if (base === undefined) {
    // No merge base survives (the record was damaged): keep the person's file and say so.
    return {
      path: f.path,
      action: 'keep',
      note: 'edited, and no merge base is recorded; compare with --dry-run --force',
      mode: f.mode,
      entry: rec,
      base: f.content,
      before: disk.content,
    };
  }
  if (base === f.content) {
    // The templates did not change this file: the edit stands as it is.
    return {
      path: f.path,
      action: 'keep',
      note: 'edited by you; the generator has no change for it',
      mode: f.mode,
      entry: { ...rec, orphaned: undefined },
      base,
      before: disk.content,
    };
  }
  const merged = mergeThreeWay(disk.content, base, f.content);
  return {
    path: f.path,
    action: merged.conflicts > 0 ? 'conflict' : 'merge',
    note: merged.conflicts > 0 ? `${merged.conflicts} overlapping change${merged.conflicts === 1 ? '' : 's'}: resolve the markers` : 'your edits kept',
    write: merged.text,
    mode: f.mode,
    entry: entryFor(merged.text, f.mode, { merged: true }),
    base: f.content,
    before: disk.content,
  };
}

function planStale(p: string, input: PlanInput): FilePlan {
  const rec = input.record[p]!;
  const disk = input.disk(p);
  const mode = Number.parseInt(rec.mode, 8) || 0o644;
  if (!disk) return { path: p, action: 'unchanged', mode };
  const base = input.base(p);
  const pristine = isPristine(disk.content, base, rec);
  if (pristine || input.force) {
    return { path: p, action: 'delete', note: pristine ? 'no longer generated' : 'edited, removed because of --force', mode, before: disk.content };
  }
  return {
    path: p,
    action: 'keep',
    note: 'no longer generated, but kept because you edited it; delete it yourself when done',
    mode,
    entry: { ...rec, orphaned: true },
    base,
    before: disk.content,
  };
}
