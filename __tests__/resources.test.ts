// The library stamps demo repositories, each with its own resources/: copied once, never replaced.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../src/library.js';
import { cleanupTempDirs, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

describe('generate(dest, answers, { resources })', () => {
  it('stamps many demo repositories, each with its own resources; a later generate keeps the edits', async () => {
    const root = tempDir('bpd-stamp-');
    for (const demo of ['alpha', 'beta', 'gamma']) {
      const from = path.join(root, `${demo}-resources`);
      mkdirSync(from);
      writeFileSync(path.join(from, '20-destination.yaml'), `kind: Destination # ${demo}\n`);
      writeFileSync(path.join(from, 'notes.txt'), 'not a resource\n');
      const dest = path.join(root, demo);
      const r = await generate(dest, { projectName: demo, demoAgents: 1 }, { resources: from });
      expect(r.exitCode).toBe(0);
      expect(readFileSync(path.join(dest, 'resources/20-destination.yaml'), 'utf8')).toBe(`kind: Destination # ${demo}\n`);
      // The starter configuration of the demo agents sits beside it; the other file is not a resource.
      expect(readFileSync(path.join(dest, 'resources/10-demo-agents.yaml'), 'utf8')).toContain(`name: ${demo}-demo`);
      expect(() => readFileSync(path.join(dest, 'resources/notes.txt'))).toThrow();
      // The person edits it; the template repository changes too; generating again keeps the edit.
      writeFileSync(path.join(dest, 'resources/20-destination.yaml'), 'kind: Destination # edited\n');
      writeFileSync(path.join(from, '20-destination.yaml'), 'kind: Destination # newer template\n');
      expect((await generate(dest, {}, { resources: from })).exitCode).toBe(0);
      expect(readFileSync(path.join(dest, 'resources/20-destination.yaml'), 'utf8')).toBe('kind: Destination # edited\n');
    }
  });

  it('a resources path that is not a folder is bad input, and nothing is written', async () => {
    const dest = path.join(tempDir(), 'x');
    await expect(generate(dest, {}, { resources: path.join(dest, 'missing') })).rejects.toThrow(/resources: .* is not a folder/);
    expect(existsSync(dest)).toBe(false);
  });
});
