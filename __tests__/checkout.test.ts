// The README's two commands in the order it gives them, on one checkout: the quick start writes a
// stack inside the checkout, and the test command must report the same as without it. .ci/run runs
// exactly those two commands, so the order cannot break again unnoticed.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, cli } from './helpers/stack.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The shell lines of the first ```sh block after a heading. */
function shBlockAfter(heading: string): string[] {
  const from = readme.indexOf(`\n${heading}\n`);
  expect(from, heading).toBeGreaterThan(-1);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from))![1]!;
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

describe('the README quick start, then its test command, in one checkout', () => {
  it('.ci/run runs the quick start and then the test command, exactly as the README gives them', () => {
    const quickStart = shBlockAfter('## Quick start');
    const tests = shBlockAfter('## Testing it');
    expect(quickStart).toHaveLength(1);
    expect(tests).toEqual(['npm test']);
    const run = readFileSync(path.join(ROOT, '.ci/run'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !/^(set|cd) /.test(l));
    expect(run).toEqual([quickStart[0], 'npm test']);
  });

  // Names a user might give; each is removed afterwards, whatever happens.
  const stacks = [`my-stack-checkout-${process.pid}`, `k8s-stack-checkout-${process.pid}`];
  afterAll(() => {
    for (const s of stacks) rmSync(path.join(ROOT, s), { recursive: true, force: true });
  });

  it('a stack generated inside the checkout changes neither what lint checks nor which tests run', () => {
    const testFiles = () => execFileSync('npx', ['vitest', 'list', '--filesOnly'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    const before = testFiles();
    expect(before.length).toBeGreaterThan(10);
    expect(cli([`./${stacks[0]}`, '--defaults']).status).toBe(0);
    expect(cli([`./${stacks[1]}`, '--defaults', '--platform', 'kubernetes']).status).toBe(0);
    expect(testFiles()).toEqual(before);
    const lint = spawnSync('npm', ['run', 'lint'], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout + lint.stderr).not.toContain(stacks[0]);
    expect(lint.stdout + lint.stderr).not.toContain(stacks[1]);
  }, 300_000);
});
