// The `everyStack` flag of the FILES list says which paths every stack has, whatever the answers:
// preflight refuses a foreign file there before any question. The renders decide, so the flag
// cannot drift from them.
import { describe, expect, it } from 'vitest';
import { resolveAnswers } from '../src/answers/resolve.js';
import { buildModel } from '../src/model/index.js';
import { FILES } from '../src/render/files.js';
import { renderFiles } from '../src/render/index.js';

const DEST = '/nowhere/stack';
const renderedPaths = (values: Record<string, unknown>) =>
  new Set(
    renderFiles(buildModel(resolveAnswers([{ source: 'library', values, baseDir: DEST }], { dest: DEST, skipFileChecks: true }).answers)).map((f) => f.path),
  );

// Every platform with every event bus it offers, and the answers that drop optional files.
const VARIANTS: Record<string, unknown>[] = [
  ...['nats', 'kafka', 'pubsub'].map((eventBus) => ({ platform: 'compose', eventBus, pubsubProjectId: 'every-stack' })),
  ...['nats', 'pubsub'].map((eventBus) => ({ platform: 'kubernetes', eventBus, pubsubProjectId: 'every-stack', projectName: 'k' })),
  { platform: 'compose', demoAgents: 0, tls: 'selfSigned', agentKey: 'server' },
  { platform: 'kubernetes', projectName: 'k', agentKey: 'server' },
];

describe('FILES: everyStack', () => {
  const flagged = new Set(FILES.filter((f) => f.everyStack).map((f) => f.path));
  const renders = VARIANTS.map(renderedPaths);

  it('flags exactly the paths that every platform and event bus renders', () => {
    const inEvery = [...renders[0]!].filter((p) => renders.every((r) => r.has(p)));
    expect([...flagged].sort()).toEqual(inEvery.sort());
    expect([...flagged].sort()).toEqual(['.gitignore', 'Makefile', 'README.md']);
  });

  it('flags every entry of such a path, one per platform', () => {
    for (const f of FILES) if (flagged.has(f.path)) expect(f.everyStack, `${f.path} (${f.template})`).toBe(true);
  });
});
