// What a run is asked and what it answers: the words every edge (CLI, Yeoman, library) shares.
import type { Layer } from '../answers/layers.js';
import type { Answers } from '../answers/schema.js';
import type { Model } from '../model/index.js';
import type { Action } from '../update/plan.js';

export type Mode = 'apply' | 'dry-run' | 'check';

export interface RunOptions {
  /** Folder to generate into. */
  dest: string;
  /** Answers given for this run, highest priority first (flags, then an answers file, then prompts). */
  layers?: Layer[];
  mode?: Mode;
  /** Replace edited and foreign files with the new render. */
  force?: boolean;
  /** Generated files the person deleted and wants back. */
  restore?: string[];
}

/** One line of the plan: a generated file, .env, a copy, or the generator's own bookkeeping. */
export interface Change {
  path: string;
  action: Action | 'copy';
  note?: string;
  before?: string;
  after?: string;
  /** Never show contents (secrets). */
  secret?: boolean;
  /** Counts as drift for --check. */
  drift: boolean;
}

/** What an interrupted earlier update left, and what was done about it. */
export type Recovered = 'none' | 'finished' | 'rolled back';

export interface RunResult {
  dest: string;
  mode: Mode;
  answers: Answers;
  model: Model;
  changes: Change[];
  /** Files left with conflict markers. */
  conflicts: string[];
  /** Changes of answers that need the person's care beyond regeneration. */
  warnings: string[];
  /** Newer defaults and pins than the stack has, which this run did not apply (see upgradeNotices). */
  notices: string[];
  recovered: Recovered;
  /** 0 done; 1 conflicts left, or drift found by --check. */
  exitCode: 0 | 1;
  /** The answers of the generation before this run; absent for a new stack. */
  previousAnswers?: Partial<Answers>;
}
