// Words for a run's result: the plan as lines, diffs for --dry-run (never of secrets).
import type { Change, RunResult } from './engine.js';

const LABEL_WIDTH = 9;

export function planLines(result: RunResult): string[] {
  const lines: string[] = [];
  if (result.recovered === 'finished') lines.push('finished an interrupted update before this run');
  if (result.recovered === 'rolled back') lines.push('rolled back an interrupted update before this run');
  for (const c of result.changes) lines.push(`${c.action.padEnd(LABEL_WIDTH)}${c.path}${c.note ? `  (${c.note})` : ''}`);
  if (result.changes.length === 0) lines.push('nothing to change');
  if (result.conflicts.length > 0) {
    lines.push('', `conflicts to resolve (look for <<<<<<< yours ... >>>>>>> generator):`);
    for (const c of result.conflicts) lines.push(`  ${c}`);
  }
  return lines;
}

export async function diffText(c: Change): Promise<string> {
  if (c.secret || c.after === undefined) return '';
  const { createTwoFilesPatch } = await import('diff');
  return createTwoFilesPatch(`a/${c.path}`, `b/${c.path}`, c.before ?? '', c.after, undefined, undefined, { context: 3 });
}

export function checkLines(result: RunResult): string[] {
  const drift = result.changes.filter((c) => c.drift);
  if (drift.length === 0) return ['up to date: regeneration would change nothing'];
  return ['drift: regeneration would change these files:', ...drift.map((c) => `  ${c.action.padEnd(LABEL_WIDTH)}${c.path}`)];
}
