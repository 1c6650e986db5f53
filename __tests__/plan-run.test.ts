// The run's plan alone: a pure function from the stack as read, the answers, the model and the
// render to the ops, the change list, conflicts, warnings and the exit code. In memory only: no
// folder is made, nothing is read or written.
import { describe, expect, it } from 'vitest';
import { resolveAnswers } from '../src/answers/resolve.js';
import { buildModel } from '../src/model/index.js';
import { renderFiles } from '../src/render/index.js';
import { planRun, type RunInput, type RunPlan, type StackState } from '../src/run/plan-run.js';
import type { Mode } from '../src/run/index.js';
import { BASE_FILE, RECORD_FILE, YO_RC } from '../src/facts/stack-files.js';
import type { DiskFile } from '../src/update/plan.js';
import { parseBases, type GenerationRecord } from '../src/update/record.js';

const DEST = '/nowhere/stack';
const EMPTY: StackState = { exists: false, bases: new Map(), disk: new Map(), sources: new Map(), sourcesPresent: new Set() };

/** The plan of a run with these answers on this state; secrets are `secret-<KEY>`. */
function plan(values: Record<string, unknown>, state: StackState = EMPTY, opts: Partial<Pick<RunInput, 'mode' | 'force' | 'restore' | 'clash'>> = {}): RunPlan {
  const stored = state.record ? [{ source: '.yo-rc.json', values: state.record.answers, baseDir: DEST }] : [];
  const resolved = resolveAnswers([{ source: 'library', values, baseDir: DEST }, ...stored], { dest: DEST, skipFileChecks: true });
  const model = buildModel(resolved.answers);
  const mode: Mode = opts.mode ?? 'apply';
  return planRun({ state, resolved, model, rendered: renderFiles(model), mode, force: false, restore: [], newSecret: (s) => `secret-${s.key}`, ...opts });
}

/** The stack as a plan leaves it once committed: its writes on disk, its record and bases read back. */
function after(p: RunPlan, before: StackState = EMPTY): StackState {
  const disk = new Map<string, DiskFile>(before.disk);
  for (const op of p.ops) {
    if (op.op === 'write') disk.set(op.path, { content: op.content, mode: op.mode });
    else disk.delete(op.path);
  }
  const record = JSON.parse(disk.get(RECORD_FILE)!.content) as GenerationRecord;
  const yo = JSON.parse(disk.get(YO_RC)!.content) as { [key: string]: unknown };
  const bases = parseBases(disk.get(BASE_FILE)!.content);
  return { ...before, exists: true, yo, record, bases, disk };
}

const writes = (p: RunPlan) => p.ops.filter((o) => o.op === 'write').map((o) => o.path);
const written = (p: RunPlan, path: string) => {
  const op = p.ops.find((o) => o.path === path);
  return op?.op === 'write' ? op.content : undefined;
};
const action = (p: RunPlan, path: string) => p.changes.find((c) => c.path === path)?.action;

describe('planRun', () => {
  it('a new stack: every rendered file, .env and the bookkeeping are written, each a change, exit 0', () => {
    const p = plan({ projectName: 'demo', instances: 2 });
    const rendered = renderFiles(
      buildModel(resolveAnswers([{ source: 'library', values: { projectName: 'demo', instances: 2 }, baseDir: DEST }], { dest: DEST }).answers),
    );
    expect(writes(p)).toEqual([...rendered.map((f) => f.path), '.env', YO_RC, RECORD_FILE, BASE_FILE]);
    for (const f of rendered) expect(written(p, f.path)).toBe(f.content);
    expect(p.changes.filter((c) => c.action !== 'create')).toEqual([]);
    expect(written(p, '.env')).toMatch(/^POSTGRES_PASSWORD=secret-POSTGRES_PASSWORD$/m);
    expect(p.ops.find((o) => o.path === '.env')).toMatchObject({ mode: 0o600 });
    expect(p.changes.find((c) => c.path === '.env')).toMatchObject({ secret: true, drift: false });
    expect(p).toMatchObject({ conflicts: [], warnings: [], exitCode: 0 });
  });

  it('the same answers on the stack they wrote: nothing to write, no change, and --check finds no drift', () => {
    const state = after(plan({ projectName: 'demo' }));
    const again = plan({}, state);
    expect(again.ops).toEqual([]);
    expect(again.changes).toEqual([]);
    expect(plan({}, state, { mode: 'check' }).exitCode).toBe(0);
  });

  it('--check of a stack whose answers changed: drift, exit 1; the plan is the same ops as apply', () => {
    const state = after(plan({ projectName: 'demo', instances: 2 }));
    const check = plan({ instances: 3 }, state, { mode: 'check' });
    expect(check.exitCode).toBe(1);
    expect(check.changes.find((c) => c.path === 'docker-compose.yml')).toMatchObject({ action: 'update', drift: true });
    expect(check.ops).toEqual(plan({ instances: 3 }, state).ops);
    expect(plan({ instances: 3 }, state).exitCode).toBe(0);
  });

  it("an edited file the new answers change elsewhere: merged, the person's line kept", () => {
    const state = after(plan({ projectName: 'demo', instances: 2 }));
    const mine = `# my note\n${state.disk.get('docker-compose.yml')!.content}`;
    const edited = { ...state, disk: new Map(state.disk).set('docker-compose.yml', { content: mine, mode: 0o644 }) };
    const p = plan({ instances: 3 }, edited);
    expect(action(p, 'docker-compose.yml')).toBe('merge');
    expect(written(p, 'docker-compose.yml')).toMatch(/^# my note\n/);
    expect(written(p, 'docker-compose.yml')).toContain('bindplane-3:');
    expect(p).toMatchObject({ conflicts: [], exitCode: 0 });
  });

  it('an edit of a line the new answers change too: a conflict, written with markers, exit 1', () => {
    const state = after(plan({ projectName: 'demo', instances: 2 }));
    const old = state.disk.get('README.md')!.content.split('\n');
    const next = written(plan({ instances: 3 }, state), 'README.md')!.split('\n');
    const at = old.findIndex((l, i) => l !== next[i]);
    old[at] = 'a line of my own';
    const edited = { ...state, disk: new Map(state.disk).set('README.md', { content: old.join('\n'), mode: 0o644 }) };
    const p = plan({ instances: 3 }, edited);
    expect(action(p, 'README.md')).toBe('conflict');
    expect(written(p, 'README.md')).toContain('<<<<<<<');
    expect(p.conflicts).toEqual(['README.md']);
    expect(p.exitCode).toBe(1);
  });

  it('a file the generator did not write where it writes one is refused, unless forced (then kept as .orig)', () => {
    const foreign = { ...EMPTY, exists: true, disk: new Map([['Makefile', { content: 'mine\n', mode: 0o644 }]]) };
    expect(() => plan({}, foreign)).toThrow(/Makefile already exists and was not written by the generator/);
    const forced = plan({}, foreign, { force: true });
    expect(action(forced, 'Makefile')).toBe('replace');
    expect(forced.ops).toContainEqual({ op: 'write', path: 'Makefile.orig', content: 'mine\n', mode: 0o644 });
  });

  it('a file the read stage could not read is said when the plan looks at it, and only then', () => {
    const state = after(plan({ projectName: 'demo' }));
    const refused = new Error('README.md is not a regular file');
    expect(() => plan({}, { ...state, unreadable: new Map([['README.md', refused]]) })).toThrow(refused);
    // A `.orig` name is looked at only when --force keeps a copy of the person's file.
    expect(plan({}, { ...state, unreadable: new Map([['README.md.orig', refused]]) }).ops).toEqual([]);
  });

  it('.env: merged key by key (every line of the person kept), its mode set to 0600, a secret made anew warned about', () => {
    const state = after(plan({ projectName: 'demo' }));
    const env = state.disk.get('.env')!.content;
    const mine = `${env.replace(/^POSTGRES_PASSWORD=.*\n/m, '')}MY_KEY=1\n`;
    const p = plan({}, { ...state, disk: new Map(state.disk).set('.env', { content: mine, mode: 0o600 }) });
    expect(written(p, '.env')).toBe(`${mine}# ${/# (.*)\nPOSTGRES_PASSWORD=/.exec(env)![1]}\nPOSTGRES_PASSWORD=secret-POSTGRES_PASSWORD\n`);
    expect(p.changes.find((c) => c.path === '.env')).toMatchObject({ action: 'update', note: 'adds POSTGRES_PASSWORD (values hidden)', drift: false });
    expect(p.warnings).toEqual([expect.stringMatching(/^POSTGRES_PASSWORD was missing from \.env and is made anew/)]);
    const loose = plan({}, { ...state, disk: new Map(state.disk).set('.env', { content: env, mode: 0o644 }) });
    expect(loose.changes).toEqual([expect.objectContaining({ path: '.env', note: 'mode set to 0600' })]);
  });

  it('copies: made from the source read, skipped when the source is absent, and a recorded one no longer used goes only while its source exists', () => {
    const values = { tls: 'provided', tlsCertFile: '/certs/tls.crt', tlsKeyFile: '/certs/tls.key' };
    const sources = new Map([
      ['/certs/tls.crt', 'CERT\n'],
      ['/certs/tls.key', 'KEY\n'],
    ]);
    const p = plan(values, { ...EMPTY, sources });
    expect(p.ops).toContainEqual({ op: 'write', path: 'local/tls/tls.crt', content: 'CERT\n', mode: 0o600 });
    expect(p.changes.find((c) => c.path === 'local/tls/tls.key')).toMatchObject({ action: 'copy', note: 'copy of /certs/tls.key', secret: true });
    expect(writes(plan(values))).not.toContain('local/tls/tls.crt'); // a clone: the copy stands in
    const state = after(p);
    expect(state.record!.copies).toEqual({ 'local/tls/tls.crt': { source: '/certs/tls.crt' }, 'local/tls/tls.key': { source: '/certs/tls.key' } });
    const dropped = plan({ tls: 'none' }, { ...state, sourcesPresent: new Set(sources.keys()) });
    expect(dropped.ops).toContainEqual({ op: 'delete', path: 'local/tls/tls.crt' });
    const orphaned = plan({ tls: 'none' }, state);
    expect(action(orphaned, 'local/tls/tls.crt')).toBe('keep');
    expect(orphaned.ops.some((o) => o.path.startsWith('local/'))).toBe(false);
  });

  it('warnings: an answer change regeneration cannot make safe, and the project clash it is given, last', () => {
    const state = after(plan({ projectName: 'demo', postgresVersion: '16' }));
    const p = plan({ postgresVersion: '17' }, state, { clash: 'a Compose project named demo already exists' });
    expect(p.warnings).toEqual([expect.stringMatching(/^--postgres-version goes from 16 to 17/), 'a Compose project named demo already exists']);
  });
});
