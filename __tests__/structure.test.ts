// The structure the code keeps (issue 21): stages in order, facts < answers < model < render <
// update < run < edges, with base modules (errors, version, wrap) beside all of them. A module
// imports only from its own stage or an earlier one, and no imports go round in a cycle.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backImports, importCycles, importSpecifiers, readImportGraph, stageOf, unstagedFiles, type ImportGraph } from './helpers/import-graph.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const graph = readImportGraph(ROOT, ['src', 'generators']);

describe('the import structure of src/ and generators/', () => {
  it('reads the real tree', () => {
    // A reader that found nothing would pass every rule.
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('src/answers/flow.ts')).toContain('src/answers/schema.ts');
  });

  it('places every file in a stage', () => {
    expect(unstagedFiles(graph)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('has no import from a later stage into an earlier one', () => {
    expect(backImports(graph)).toEqual([]);
  });
});

describe('the rules, on a made-up graph', () => {
  const made: ImportGraph = new Map([
    ['src/answers/a.ts', ['src/answers/b.ts', 'src/facts/pins.ts', 'src/errors.ts']],
    ['src/answers/b.ts', ['src/answers/a.ts']],
    ['src/facts/pins.ts', ['src/model/index.ts']],
    ['src/model/index.ts', ['src/answers/a.ts']],
    ['src/errors.ts', ['src/update/plan.ts']],
    ['src/update/plan.ts', []],
    ['src/cli/main.ts', ['src/run/index.ts', 'src/cli/main.ts']],
    ['src/run/index.ts', ['src/render/index.ts']],
    ['src/render/index.ts', []],
    ['src/stray.ts', []],
  ]);

  it('finds the cycles, with their files', () => {
    expect(importCycles(made)).toEqual([['src/answers/a.ts', 'src/answers/b.ts', 'src/facts/pins.ts', 'src/model/index.ts'], ['src/cli/main.ts']]);
  });

  it('finds the back imports, and base importing a stage', () => {
    expect(backImports(made)).toEqual(['src/facts/pins.ts -> src/model/index.ts (facts -> model)', 'src/errors.ts -> src/update/plan.ts (base -> update)']);
  });

  it('finds a file of no stage', () => {
    expect(unstagedFiles(made)).toEqual(['src/stray.ts']);
  });

  it('stages the orchestrator and the edges', () => {
    expect(['src/edges/locate.ts', 'src/run/plan.ts', 'src/report.ts', 'src/resources.ts', 'generators/app/generator.ts', 'src/wrap.ts'].map(stageOf)).toEqual([
      'edges',
      'run',
      'edges',
      'edges',
      'edges',
      'base',
    ]);
  });

  it('reads every kind of import, and only relative ones', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "const e = await import('./e.js');",
      "import path from 'node:path';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js']);
  });
});
