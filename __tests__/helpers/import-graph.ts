// The project's import graph and the two rules it keeps (structure.test.ts): no import cycle, and
// no import from a later stage into an earlier one. Pure functions over a graph of repository
// paths, so the rules can be tested on a graph made up for the purpose.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Each file (a repository path such as `src/answers/flow.ts`) and the repository files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** The stages in order: a module imports only from its own stage or an earlier one. */
export const STAGES = ['facts', 'answers', 'model', 'render', 'update', 'run', 'edges'] as const;
export type Stage = (typeof STAGES)[number] | 'base';

/** Modules any stage may import; they import none of the stages. */
const BASE = ['src/errors.ts', 'src/version.ts', 'src/wrap.ts'];
const EDGE_FILES = ['src/library.ts', 'src/report.ts', 'src/resources.ts'];

/** The stage of a repository path, or undefined for a file outside the staged tree. */
export function stageOf(file: string): Stage | undefined {
  if (BASE.includes(file)) return 'base';
  // src/edges/ holds what the CLI and the Yeoman generator share, so neither imports the other.
  if (EDGE_FILES.includes(file) || /^(src\/cli|src\/edges|generators)\//.test(file)) return 'edges';
  const dir = /^src\/([^/]+)\//.exec(file)?.[1];
  return STAGES.find((s) => s === dir && s !== 'edges');
}

/** Whether an import from one stage to another breaks the order (base imports nothing of the stages). */
export function isBackImport(from: Stage, to: Stage): boolean {
  if (to === 'base') return false;
  if (from === 'base') return true;
  return STAGES.indexOf(to) > STAGES.indexOf(from);
}

/** Every import that breaks the stage order, as `from -> to (stage -> stage)`. */
export function backImports(graph: ImportGraph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    const fromStage = stageOf(from);
    for (const to of targets) {
      const toStage = stageOf(to);
      // A file of no stage is reported on its own (unstagedFiles).
      if (fromStage && toStage && isBackImport(fromStage, toStage)) found.push(`${from} -> ${to} (${fromStage} -> ${toStage})`);
    }
  }
  return found;
}

/** Files the stage list does not place: a new top-level module must say which stage it is. */
export function unstagedFiles(graph: ImportGraph): string[] {
  return [...graph.keys()].filter((f) => stageOf(f) === undefined);
}

/** The import cycles, each as the files of one strongly connected component (Tarjan's algorithm). */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The relative imports of one source text (static, `export ... from`, type-only and dynamic), as written. */
export function importSpecifiers(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'));
}

function tsFiles(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return (readdirSync(abs, { recursive: true }) as string[])
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
}

/** The import graph of every .ts file under `dirs`; an import is an edge when it names one of those files (`./x.js` is `./x.ts`). */
export function readImportGraph(root: string, dirs: readonly string[]): ImportGraph {
  const files = dirs.flatMap((d) => tsFiles(root, d));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importSpecifiers(readFileSync(path.join(root, file), 'utf8'))
      .map((s) => path.posix.join(path.posix.dirname(file), s).replace(/\.js$/, '.ts'))
      .filter((t) => known.has(t));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}
