// The engine: answers -> model -> render -> update, in one transaction. The CLI, the Yeoman
// generator and the library API all call run(); none of this imports a framework.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { upgradeNotices } from './answers/notices.js';
import type { Layer } from './answers/layers.js';
import { resolveAnswers, type Resolved } from './answers/resolve.js';
import { flagOf, specOf, type AnswerName, type Answers } from './answers/schema.js';
import { InputError, StateError } from './errors.js';
import { buildModel, LOCAL_COPIES, type CopiedAnswer, type Model } from './model/index.js';
import { platformWarnings } from './model/kubernetes/warnings.js';
import { renderFiles } from './render/index.js';
import { mergeEnv } from './update/envfile.js';
import { foreignFiles, planFiles, unresolvedConflicts, type Action, type DiskFile } from './update/plan.js';
import {
  BASE_FILE,
  GENERATOR_NAME,
  readBases,
  readRecord,
  RECORD_FILE,
  RECORD_FORMAT,
  serializeBases,
  serializeRecord,
  type GenerationRecord,
} from './update/record.js';
import { isInsidePath, linkOnPath } from './update/paths.js';
import { asUserError, fsProblem, guardDestination, guardStackState } from './update/fs-guard.js';
import { takeLock, type Lock } from './update/lock.js';
import { commit, commitFresh, recover, type Op } from './update/txn.js';
import { ENV_FILE, YO_RC } from './facts/stack-files.js';
import { VERSION } from './version.js';

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
  /** What an interrupted earlier update left, and what was done about it. */
  recovered: 'none' | 'finished' | 'rolled back';
  /** 0 done; 1 conflicts left, or drift found by --check. */
  exitCode: 0 | 1;
  /** The answers of the generation before this run; absent for a new stack. */
  previousAnswers?: Partial<Answers>;
}

export { ENV_FILE, YO_RC } from './facts/stack-files.js';

function readDisk(root: string, rel: string): DiskFile | undefined {
  const p = path.join(root, rel);
  try {
    const st = statSync(p);
    if (!st.isFile()) throw new InputError(`${rel} is not a regular file; move it away so the generator can write there`, rel);
    return { content: readFileSync(p, 'utf8'), mode: st.mode & 0o777 };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw new InputError(`${rel}: a file of yours stands where the generator needs a folder (${path.dirname(rel)}); move it away`, rel);
    throw fsProblem(root, e) ?? e;
  }
}

/** Refuses a destination that is a file or read-only, and paths that would leave it through a link. */
function checkDestination(root: string, mode: Mode): void {
  guardDestination(root);
  let probe = root;
  while (!existsSync(probe)) probe = path.dirname(probe);
  const st = statSync(probe);
  if (probe === root && !st.isDirectory()) throw new InputError(`destination ${JSON.stringify(root)} is a file; give a folder`, 'dest');
  if (!st.isDirectory()) throw new InputError(`destination ${JSON.stringify(root)} is inside a file (${probe}); give a folder`, 'dest');
  // Respect the permission bits even as root: a folder made read-only means "do not write here".
  if (mode === 'apply' && (st.mode & 0o222) === 0)
    throw new InputError(`destination ${JSON.stringify(probe)} is read-only; make it writable or choose another folder`, 'dest');
}

function checkInside(root: string, rel: string): void {
  if (!isInsidePath(rel)) throw new StateError(`${JSON.stringify(rel)} is outside the destination; the generator writes only inside it`);
  const link = linkOnPath(root, rel);
  if (link !== undefined) throw new InputError(`${rel}: ${link} is a symbolic link; the generator writes only inside the destination`, rel);
}

function readYoRc(root: string): { [key: string]: unknown } | undefined {
  const file = path.join(root, YO_RC);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${YO_RC} is not valid JSON (${(e as Error).message}); fix it or delete it`, YO_RC);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError(`${YO_RC} must hold a JSON object`, YO_RC);
  return parsed as { [key: string]: unknown };
}

/** What a destination holds from earlier runs: .yo-rc.json and the record. */
interface Stored {
  yo?: { [key: string]: unknown };
  record?: GenerationRecord;
}

function readStored(root: string): Stored {
  if (!existsSync(root)) return {};
  guardStackState(root);
  return { yo: readYoRc(root), record: readRecord(root, VERSION) };
}

/** The answers stored in .yo-rc.json (or, when it is gone, in the record), as a layer. */
export function storedLayer(root: string, stored: Stored = readStored(root)): Layer | undefined {
  const mine = stored.yo?.[GENERATOR_NAME];
  if (mine !== undefined) {
    if (!mine || typeof mine !== 'object' || Array.isArray(mine)) throw new InputError(`${YO_RC}: "${GENERATOR_NAME}" must be an object of answers`, YO_RC);
    return { source: '.yo-rc.json', values: mine as { [key: string]: unknown }, baseDir: root };
  }
  return stored.record ? { source: '.yo-rc.json', values: stored.record.answers, baseDir: root } : undefined;
}

/** Resolves the answers of a run: given layers, then stored ones, then defaults. */
export function resolveFor(root: string, layers: Layer[], mode: Mode, previous: Stored = readStored(root)): Resolved {
  const stored = storedLayer(root, previous);
  return resolveAnswers(stored ? [...layers, stored] : layers, {
    dest: root,
    copyExists: (n) => Object.hasOwn(LOCAL_COPIES, n) && existsSync(path.join(root, LOCAL_COPIES[n as CopiedAnswer])),
    skipFileChecks: mode === 'check',
  });
}

export function missingMessage(missing: readonly AnswerName[]): string {
  const named = missing.map((n) => `--${flagOf(n)} (${specOf(n)?.message ?? n}; ${n} in an answers file)`);
  return `missing required answer${missing.length === 1 ? '' : 's'}: ${named.join(', ')}; give ${missing.length === 1 ? 'it' : 'them'} as flags or in --answers`;
}

function refuseUnresolved(unresolved: readonly string[]): void {
  if (unresolved.length > 0)
    throw new StateError(
      `resolve the conflict markers in ${unresolved.join(', ')} first (keep what you want, remove the <<<<<<< ======= >>>>>>> lines), then run again`,
    );
}

function refuseForeign(foreign: readonly string[]): void {
  // Bad input, like a wrong answer: the person pointed the generator at a folder that is not its own.
  if (foreign.length > 0)
    throw new InputError(
      `${foreign.join(', ')} already exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'was' : 'were'} not written by the generator; move ${foreign.length === 1 ? 'it' : 'them'} away or run with --force to replace ${foreign.length === 1 ? 'it' : 'them'}`,
    );
}

/**
 * Before any question: refuses what would stop the run whatever the answers still to come, so a
 * person is not asked everything first. Those are files the generator did not write where every
 * stack has a file (the files of the default answers with each event bus), and conflict markers
 * left from an earlier run. run() checks again, with the final answers, under the lock.
 */
export function preflight(opts: Pick<RunOptions, 'dest' | 'force' | 'layers'>): void {
  const root = path.resolve(opts.dest);
  checkDestination(root, 'apply');
  // The answers given so far: unknown keys, wrong values and missing files are said now, not after the questions.
  resolveAnswers(opts.layers ?? [], { dest: root, givenOnly: true });
  if (!existsSync(root)) return;
  const record = readStored(root).record;
  const bases = readBases(root);
  const probe = {
    record: record?.files ?? {},
    base: (p: string) => bases.get(p),
    disk: (p: string) => readDisk(root, p),
    force: opts.force ?? false,
    restore: new Set<string>(),
  };
  refuseUnresolved(unresolvedConflicts(probe));
  if (probe.force) return;
  const variants = [
    ...(['nats', 'kafka', 'pubsub'] as const).map((eventBus) => ({ platform: 'compose', eventBus })),
    ...(['nats', 'pubsub'] as const).map((eventBus) => ({ platform: 'kubernetes', eventBus, projectName: 'preflight-check' })),
  ];
  const renders = variants.map((values) =>
    renderFiles(
      buildModel(
        resolveAnswers([{ source: 'library', values: { ...values, pubsubProjectId: 'preflight-check' }, baseDir: root }], { dest: root, skipFileChecks: true })
          .answers,
      ),
    ),
  );
  const everyStack = renders[0]!.filter((f) => renders.every((r) => r.some((g) => g.path === f.path)));
  refuseForeign(foreignFiles({ ...probe, rendered: everyStack }));
}

export async function run(opts: RunOptions): Promise<RunResult> {
  const mode = opts.mode ?? 'apply';
  const root = path.resolve(opts.dest);
  checkDestination(root, mode);
  guardStackState(root);
  return asUserError(root, async () => {
    const lock = takeLock(root, mode === 'apply');
    try {
      return await runLocked(opts, mode, root, lock);
    } finally {
      lock.release();
    }
  });
}

async function runLocked(opts: RunOptions, mode: Mode, root: string, lock: Lock): Promise<RunResult> {
  // What the lock found is what this run works on: a folder that appears meanwhile is another run's.
  const rootExists = lock.exists;
  const recovered = rootExists ? recover(root) : lock.clearedLeftover ? 'rolled back' : 'none';

  const previous = rootExists ? readStored(root) : {};
  const record = previous.record;
  // After recovery, which may have thrown away a dead run's staging: --check of nothing is a mistake.
  if (mode === 'check' && previous.yo?.[GENERATOR_NAME] === undefined && !record)
    throw new InputError(
      `${root} holds no stack (no .yo-rc.json of this generator): --check compares a generated stack with its answers; run without --check to generate one`,
      'check',
    );
  const resolved = resolveFor(root, opts.layers ?? [], mode, previous);
  if (resolved.missing.length > 0) throw new InputError(missingMessage(resolved.missing), resolved.missing[0]);
  const answers = resolved.answers;
  const model = buildModel(answers);
  const rendered = renderFiles(model);

  const restore = new Set(opts.restore ?? []);
  for (const r of restore) {
    if (!rendered.some((f) => f.path === r))
      throw new InputError(`--restore ${JSON.stringify(r)}: not a file this generator writes; use one of ${rendered.map((f) => f.path).join(', ')}`, 'restore');
  }

  const disk = (p: string) => (rootExists ? readDisk(root, p) : undefined);
  const oldBases = rootExists ? readBases(root) : new Map<string, string>();
  const base = (p: string) => oldBases.get(p);
  const input = {
    rendered,
    record: record?.files ?? {},
    base,
    disk,
    force: opts.force ?? false,
    restore,
  };

  refuseUnresolved(unresolvedConflicts(input));
  if (!input.force) refuseForeign(foreignFiles(input));

  const plans = planFiles(input);
  const changes: Change[] = [];
  const ops: Op[] = [];
  const write = (p: string, content: string, fileMode: number) => {
    checkInside(root, p);
    ops.push({ op: 'write', path: p, content, mode: fileMode });
  };
  const remove = (p: string) => {
    checkInside(root, p);
    ops.push({ op: 'delete', path: p });
  };

  for (const p of plans) {
    if (p.write !== undefined) write(p.path, p.write, p.mode);
    if (p.action === 'delete') remove(p.path);
    if (p.action !== 'unchanged' || p.write !== undefined)
      changes.push({
        path: p.path,
        action: p.action,
        note: p.note,
        before: p.before,
        after: p.write,
        drift: !['keep', 'deleted', 'unchanged'].includes(p.action),
      });
  }

  // The git-ignored secrets: merged key by key, never shown, never drift (a clean clone has none).
  const envDisk = disk(ENV_FILE);
  const env = mergeEnv(envDisk?.content, model.secrets, model.project);
  if (env.added.length > 0 || (envDisk && envDisk.mode !== 0o600)) {
    write(ENV_FILE, env.text, 0o600);
    changes.push({
      path: ENV_FILE,
      action: envDisk ? 'update' : 'create',
      note: env.added.length > 0 ? `adds ${env.added.join(', ')} (values hidden)` : 'mode set to 0600',
      secret: true,
      drift: false,
    });
  }

  // Copies of the person's files into the git-ignored folder.
  const copies: GenerationRecord['copies'] = {};
  for (const { answer, source, path: target } of model.copies) {
    copies[target] = { source };
    const src = path.resolve(root, source);
    if (!existsSync(src) || resolved.unread.includes(answer)) continue; // a clone, or stored and outside the stack: the copy stands in
    const content = readFileSync(src, 'utf8');
    const have = disk(target);
    if (have?.content === content && have.mode === 0o600) continue;
    write(target, content, 0o600);
    changes.push({ path: target, action: 'copy', note: `copy of ${source}`, secret: true, drift: false });
  }
  for (const [target, { source }] of Object.entries(record?.copies ?? {})) {
    if (copies[target] || !disk(target)) continue;
    if (existsSync(path.resolve(root, source))) {
      remove(target);
      changes.push({ path: target, action: 'delete', note: `no longer used (the original ${source} stays)`, secret: true, drift: false });
    } else {
      copies[target] = { source };
      changes.push({
        path: target,
        action: 'keep',
        note: `no longer used, but ${source} is gone, so this copy is kept; delete it yourself`,
        secret: true,
        drift: false,
      });
    }
  }

  // Bookkeeping: answers in .yo-rc.json, the record and the merge bases, in the same transaction.
  const yoText = `${JSON.stringify({ ...previous.yo, [GENERATOR_NAME]: resolved.stored }, null, 2)}\n`;
  const newRecord: GenerationRecord = { generator: GENERATOR_NAME, version: VERSION, format: RECORD_FORMAT, answers: resolved.stored, files: {}, copies };
  const newBases = new Map<string, string>();
  for (const p of plans) {
    if (p.entry) newRecord.files[p.path] = p.entry;
    if (p.entry && p.base !== undefined) newBases.set(p.path, p.base);
  }
  const bookkeeping: [string, string, boolean][] = [
    [YO_RC, yoText, true],
    [RECORD_FILE, serializeRecord(newRecord), true],
    // The merge bases change only with the files they belong to: no drift of their own.
    [BASE_FILE, serializeBases(newBases), false],
  ];
  for (const [p, text, drift] of bookkeeping) {
    const have = disk(p);
    if (have?.content === text) continue;
    write(p, text, 0o644);
    if (drift) changes.push({ path: p, action: have ? 'update' : 'create', before: have?.content, after: text, drift });
  }
  const conflicts = plans.filter((p) => p.action === 'conflict').map((p) => p.path);
  const drift = changes.some((c) => c.drift);
  const result: RunResult = {
    dest: root,
    mode,
    answers,
    model,
    changes,
    conflicts,
    recovered,
    previousAnswers: record?.answers,
    warnings: [...answerWarnings(record, model), ...secretWarnings(record, env.added, answers.platform)],
    notices: upgradeNotices(answers, resolved.fromStored, resolved.legacy),
    exitCode: 0,
  };
  if (mode === 'check') {
    result.exitCode = drift ? 1 : 0;
    return result;
  }
  if (mode === 'dry-run') {
    result.exitCode = conflicts.length > 0 ? 1 : 0;
    return result;
  }
  if (!rootExists) await commitFresh(root, lock.staging!, ops);
  else await commit(root, ops);
  result.exitCode = conflicts.length > 0 ? 1 : 0;
  return result;
}

/** Answer changes that regeneration alone cannot make safe. */
function answerWarnings(record: GenerationRecord | undefined, model: Model): string[] {
  const answers = model.answers;
  const out: string[] = [];
  const pgBefore = record?.answers.postgresVersion;
  const major = (v: string) => Number.parseInt(v, 10);
  if (typeof pgBefore === 'string' && major(pgBefore) !== major(answers.postgresVersion))
    out.push(
      `--postgres-version goes from ${pgBefore} to ${answers.postgresVersion}: PostgreSQL does not start on another major release's data. ` +
        'Take a backup first (make backup), then `make delete CONFIRM=yes`, `make start` and `make restore FILE=...`.',
    );
  out.push(...platformWarnings(record?.answers, model));
  const projectBefore = record?.answers.projectName;
  // On Kubernetes, platformWarnings says what a new projectName means there.
  if (
    answers.platform === 'compose' &&
    (record?.answers.platform ?? 'compose') === 'compose' &&
    typeof projectBefore === 'string' &&
    projectBefore !== answers.projectName
  )
    out.push(
      `--project-name goes from ${projectBefore} to ${answers.projectName}: make start will start a second, empty stack, and the old one keeps running ` +
        `with its data. To move the data: make backup COMPOSE="docker compose -p ${projectBefore}" (it dumps the old stack's database), ` +
        `stop the old stack with \`docker compose -p ${projectBefore} down\` (add --volumes to delete its data), then make start and make restore FILE=...`,
    );
  const versionBefore = record?.answers.bindplaneVersion;
  if (typeof versionBefore === 'string' && versionBefore !== answers.bindplaneVersion)
    out.push(
      answers.platform === 'kubernetes'
        ? `--bindplane-version goes from ${versionBefore} to ${answers.bindplaneVersion}: take a backup first (make backup), then make deploy; the chart's Deployments replace one pod at a time.`
        : `--bindplane-version goes from ${versionBefore} to ${answers.bindplaneVersion}: apply it with make upgrade (a backup, then one instance at a time), not make start, which replaces every instance at once.`,
    );
  const agentWiring = (['httpPort', 'tls'] as const).filter((k) => record && record.answers[k] !== undefined && record.answers[k] !== answers[k]);
  if (answers.demoAgents > 0 && agentWiring.length > 0)
    out.push(
      `${agentWiring.map((k) => `--${flagOf(k)}`).join(' and ')} changed: the demo agents keep the endpoint they first connected with (their manager.yaml, in their volumes). ` +
        `Give them the new one: docker compose rm -sf ${model.demoAgents.agents.map((d) => d.name).join(' ')} && docker volume rm ${model.demoAgents.agents.map((d) => `${model.project}_${d.volume}`).join(' ')}, then make start.`,
    );
  return out;
}

/** What a secret made anew means for a stack that existed before: its data may still expect the old one. */
const SECRET_CONSEQUENCES: { [key: string]: string } = {
  POSTGRES_PASSWORD:
    "if this stack's database volume exists, it still has the old password and Bindplane cannot log in: restore .env from your copy, " +
    'or start PostgreSQL (docker compose up -d postgres) and run bindplane-distributed . --rotate-secret POSTGRES_PASSWORD, which sets a new one in both',
  BINDPLANE_SECRET_KEY: 'agents that connected with the old key must be given the new one',
  KAFKA_CLUSTER_ID: 'Kafka refuses data volumes of another cluster id: restore .env from your copy, or make delete CONFIRM=yes to start Kafka afresh',
};

/** On Kubernetes the database is the StatefulSet's volume claim, and rotation of its password is Compose only. */
const KUBERNETES_SECRET_CONSEQUENCES: { [key: string]: string } = {
  POSTGRES_PASSWORD:
    "if this stack's PostgreSQL volume claim exists, it still has the old password and Bindplane cannot log in: restore .env from your copy " +
    '(or set the new password in the database yourself, e.g. ALTER ROLE through kubectl exec, then make deploy)',
};

function secretWarnings(record: GenerationRecord | undefined, added: readonly string[], platform: string): string[] {
  if (!record) return [];
  const consequences = platform === 'kubernetes' ? { ...SECRET_CONSEQUENCES, ...KUBERNETES_SECRET_CONSEQUENCES } : SECRET_CONSEQUENCES;
  return added.map((key) => `${key} was missing from ${ENV_FILE} and is made anew: ${consequences[key] ?? 'the old value no longer applies'}.`);
}
