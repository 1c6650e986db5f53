#!/usr/bin/env node
// Benchmark: times whole `node` processes (cold starts) of the CLI, the library API and `yo`,
// against a trivial one-template Yeoman generator run the same way, and prints a Markdown table.
//
//   npm run bench                 (builds first)
//   node scripts/bench.mjs [--runs N] [--keep]
//
// It is a measurement, not a test: it exits 0 even when a target is missed, and says which.
// Runs of all cases are interleaved round by round (order rotated each round), so background load
// on the machine hits every case alike instead of skewing one of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE = process.execPath;
const CLI = path.join(ROOT, 'bin/bindplane-distributed.js');
const YO = path.join(ROOT, 'node_modules/.bin/yo');
const LIB = path.join(ROOT, 'dist/src/library.js');

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const opts = { runs: 7, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs' || a.startsWith('--runs=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 100) {
        process.stderr.write(`bench: --runs wants a whole number from 1 to 100, got ${JSON.stringify(v)}\n`);
        process.exit(2);
      }
      opts.runs = n;
    } else if (a === '--keep') {
      opts.keep = true;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write('Usage: node scripts/bench.mjs [--runs N] [--keep]\n');
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  return opts;
}
const OPTS = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------------------------------------
// Temp folders and cleanup

const TMP = mkdtempSync(path.join(os.tmpdir(), 'bpd-bench-'));
chmodSync(TMP, 0o755); // the yo user must be able to reach its folder and the trivial package
let createdUser = null;

function cleanup() {
  if (!OPTS.keep) rmSync(TMP, { recursive: true, force: true });
  else process.stderr.write(`bench: kept ${TMP}\n`);
  if (createdUser) {
    try {
      execFileSync('userdel', ['--remove', createdUser], { stdio: 'ignore' });
    } catch {
      // best effort
    }
    createdUser = null;
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

function freshDir(...parts) {
  const d = path.join(TMP, ...parts);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
}

// ---------------------------------------------------------------------------------------------
// 1. The trivial baseline generator, and a runner that drives it through yeoman-environment

const TRIVIAL = path.join(TMP, 'generator-trivial');
mkdirSync(path.join(TRIVIAL, 'generators/app/templates'), { recursive: true });
// Its dependencies (yeoman-generator 8, yeoman-environment 6) come from this project.
symlinkSync(path.join(ROOT, 'node_modules'), path.join(TRIVIAL, 'node_modules'), 'dir');
writeFileSync(
  path.join(TRIVIAL, 'package.json'),
  `${JSON.stringify(
    {
      name: 'generator-trivial',
      version: '1.0.0',
      type: 'module',
      keywords: ['yeoman-generator'],
      files: ['generators'],
      main: 'generators/app/index.js',
    },
    null,
    2,
  )}\n`,
);
writeFileSync(path.join(TRIVIAL, 'generators/app/templates/hello.txt'), 'Hello from <%= name %>.\n');
writeFileSync(
  path.join(TRIVIAL, 'generators/app/index.js'),
  `import Generator from 'yeoman-generator';

// The smallest useful generator: one template file, into DEST when given.
export default class extends Generator {
  constructor(args, opts) {
    super(args, opts);
    this.argument('dest', { type: String, required: false });
    if (this.options.dest) this.destinationRoot(this.destinationPath(this.options.dest));
  }

  writing() {
    this.fs.copyTpl(this.templatePath('hello.txt'), this.destinationPath('hello.txt'), { name: 'trivial' });
  }
}
`,
);
const TRIVIAL_RUNNER = path.join(TRIVIAL, 'run.mjs');
writeFileSync(
  TRIVIAL_RUNNER,
  `// node run.mjs DEST: runs generator-trivial through yeoman-environment in a fresh folder DEST.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createEnv } from 'yeoman-environment';

const dest = path.resolve(process.argv[2]);
mkdirSync(dest, { recursive: true });
const env = createEnv({ cwd: dest });
env.register(${JSON.stringify(path.join(TRIVIAL, 'generators/app/index.js'))}, { namespace: 'trivial:app' });
await env.run(['trivial:app'], { skipInstall: true, force: true });
`,
);

// ---------------------------------------------------------------------------------------------
// Inputs of the CLI and library cases

const ANSWERS = path.join(TMP, 'answers.yaml');
writeFileSync(
  ANSWERS,
  `# A full answers file, as a user would keep it next to the stack.
projectName: bench-answers
bindplaneVersion: 1.96.3
imageRegistry: ghcr.io/observiq
instances: 3
eventBus: nats
postgresVersion: "16"
postgresMaxConnections: 100
transformAgents: 1
prometheusRetention: 15d
httpPort: 3001
tls: none
adminUsername: admin
demoAgents: 2
agentVersion: 1.80.1
`,
);

const LIB_SCRIPT = path.join(TMP, 'library.mjs');
writeFileSync(
  LIB_SCRIPT,
  `// node library.mjs DIR: 100 repos through the library API, each with its own name and instance count.
import path from 'node:path';
const { generate } = await import(${JSON.stringify(pathToFileURL(LIB).href)});
const dir = process.argv[2];
for (let i = 0; i < 100; i++) {
  const instances = (i % 64) + 1;
  const r = await generate(path.join(dir, 'repo-' + i), { projectName: 'lib-' + i, instances });
  if (r.exitCode !== 0) {
    console.error('repo-' + i + ': exit code ' + r.exitCode);
    process.exit(1);
  }
}
`,
);

// The existing stack for --check, --dry-run and the no-op regeneration.
const EXISTING = path.join(TMP, 'existing');
{
  const r = spawnSync(NODE, [CLI, EXISTING, '--defaults'], { cwd: TMP, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    process.stderr.write(`bench: cannot generate the existing stack (exit ${r.status}):\n${r.stdout}${r.stderr}\n`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// yo: an ordinary user, a project folder with both generators in node_modules, a home

function ordinaryUser() {
  const line = execFileSync('getent', ['passwd'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => Number(f[2]) >= 1000 && Number(f[2]) < 65534);
  return line ? { name: line[0], uid: Number(line[2]), gid: Number(line[3]) } : null;
}

const YO_WORK = path.join(TMP, 'yo');
const YO_HOME = path.join(YO_WORK, 'home');
let yoUser = null; // null: run yo as ourselves (not root)
let yoProblem = null;
try {
  mkdirSync(path.join(YO_WORK, 'node_modules'), { recursive: true });
  mkdirSync(YO_HOME);
  symlinkSync(ROOT, path.join(YO_WORK, 'node_modules/generator-bindplane-distributed'), 'dir');
  symlinkSync(TRIVIAL, path.join(YO_WORK, 'node_modules/generator-trivial'), 'dir');
  if (!existsSync(YO)) throw new Error(`${YO} is missing (npm install?)`);
  if (process.getuid?.() === 0) {
    yoUser = ordinaryUser();
    if (!yoUser) {
      execFileSync('useradd', ['--create-home', 'bpdbench'], { stdio: 'ignore' });
      createdUser = 'bpdbench';
      yoUser = ordinaryUser();
      if (!yoUser) throw new Error('useradd bpdbench did not give an ordinary user');
    }
    for (const p of [YO_WORK, YO_HOME, path.join(YO_WORK, 'node_modules')]) chownSync(p, yoUser.uid, yoUser.gid);
  }
} catch (e) {
  yoProblem = `cannot set up yo: ${e.message}`;
}

function yoCommand(args) {
  // NO_UPDATE_NOTIFIER: the same for both yo cases, and no network check in the timing.
  const env = ['env', `HOME=${YO_HOME}`, 'NO_UPDATE_NOTIFIER=1', `PATH=${path.dirname(NODE)}:${process.env.PATH}`];
  return yoUser ? ['runuser', ['-u', yoUser.name, '--', ...env, YO, ...args]] : [env[0], [...env.slice(1), YO, ...args]];
}

// ---------------------------------------------------------------------------------------------
// Cases. Each run: prepare() untimed, then one whole process timed, then verify() untimed.

let seq = 0;
const next = () => `r${++seq}`;

function cliCase(id, label, argsFor, { fresh = true, expectFile = 'docker-compose.yml' } = {}) {
  return {
    id,
    label,
    prepare() {
      const dest = fresh ? path.join(freshDir('cli', next()), 'stack') : EXISTING;
      return { cmd: NODE, args: [CLI, ...argsFor(dest)], cwd: fresh ? path.dirname(dest) : TMP, dest };
    },
    verify(ctx) {
      if (expectFile && !existsSync(path.join(ctx.dest, expectFile))) return `${expectFile} was not written`;
      return null;
    },
    after(ctx) {
      if (fresh) rmSync(path.dirname(ctx.dest), { recursive: true, force: true });
    },
  };
}

const cases = [
  {
    id: 'baseline',
    label: 'baseline: trivial generator via yeoman-environment (cold, new folder)',
    prepare() {
      const dest = path.join(freshDir('trivial', next()), 'out');
      return { cmd: NODE, args: [TRIVIAL_RUNNER, dest], cwd: path.dirname(dest), dest };
    },
    verify: (ctx) => (existsSync(path.join(ctx.dest, 'hello.txt')) ? null : 'hello.txt was not written'),
    after: (ctx) => rmSync(path.dirname(ctx.dest), { recursive: true, force: true }),
  },
  cliCase('first', 'CLI `DEST --defaults` (first generation, cold)', (d) => [d, '--defaults']),
  cliCase('answers', 'CLI `DEST --defaults --answers answers.yaml` (first generation)', (d) => [d, '--defaults', '--answers', ANSWERS]),
  cliCase('check', 'CLI `DEST --check` (existing stack)', (d) => [d, '--check'], { fresh: false }),
  cliCase('dryrun', 'CLI `DEST --defaults --dry-run` (existing stack)', (d) => [d, '--defaults', '--dry-run'], { fresh: false }),
  cliCase('noop', 'CLI `DEST --defaults` again (no-op regeneration)', (d) => [d, '--defaults'], { fresh: false }),
  cliCase('i3', 'CLI `DEST --defaults --instances 3` (first generation)', (d) => [d, '--defaults', '--instances', '3']),
  cliCase('i64', 'CLI `DEST --defaults --instances 64` (first generation)', (d) => [d, '--defaults', '--instances', '64']),
  {
    id: 'library',
    label: 'library API: 100 repos (instances 1..64) in one process',
    prepare() {
      const dest = freshDir('lib', next());
      return { cmd: NODE, args: [LIB_SCRIPT, dest], cwd: TMP, dest };
    },
    verify: (ctx) => (existsSync(path.join(ctx.dest, 'repo-99/docker-compose.yml')) ? null : 'repo-99/docker-compose.yml was not written'),
    after: (ctx) => rmSync(ctx.dest, { recursive: true, force: true }),
  },
  {
    id: 'yoTrivial',
    label: '`yo trivial DEST` (same yo, same user)',
    yo: true,
    prepare() {
      const name = `t-${next()}`;
      const [cmd, args] = yoCommand(['trivial', name]);
      return { cmd, args, cwd: YO_WORK, dest: path.join(YO_WORK, name) };
    },
    verify: (ctx) => (existsSync(path.join(ctx.dest, 'hello.txt')) ? null : 'hello.txt was not written'),
    after: (ctx) => rmSync(ctx.dest, { recursive: true, force: true }),
  },
  {
    id: 'yoBpd',
    label: '`yo bindplane-distributed DEST --defaults --instances 3 --event-bus kafka ...` (every answer given)',
    yo: true,
    prepare() {
      const name = `b-${next()}`;
      const [cmd, args] = yoCommand([
        'bindplane-distributed',
        name,
        '--defaults',
        '--project-name',
        'bench-yo',
        '--instances',
        '3',
        '--event-bus',
        'kafka',
        '--kafka-brokers',
        '1',
        '--http-port',
        '3001',
        '--tls',
        'none',
      ]);
      return { cmd, args, cwd: YO_WORK, dest: path.join(YO_WORK, name) };
    },
    verify: (ctx) => (existsSync(path.join(ctx.dest, 'docker-compose.yml')) ? null : 'docker-compose.yml was not written'),
    after: (ctx) => rmSync(ctx.dest, { recursive: true, force: true }),
  },
];

function execute(c) {
  const ctx = c.prepare();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(ctx.cmd, ctx.args, { cwd: ctx.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let problem;
  if (r.error) problem = `cannot run ${path.basename(ctx.cmd)}: ${r.error.code ?? r.error.message}`;
  else if (r.status !== 0) problem = `exit ${r.status ?? r.signal}`;
  else problem = c.verify(ctx);
  if (problem) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-6).join('\n    ');
    problem = `${problem}${out ? `:\n    ${out}` : ''}`;
  }
  c.after?.(ctx);
  return { seconds, problem };
}

// Warm-up (untimed): fills the file cache, and finds out which cases can run at all.
// problem: the case cannot run at all (warm-up failed); failed: runs that failed later (a run that
// fails is left out of the statistics, and the row says so).
const state = new Map(cases.map((c) => [c.id, { times: [], problem: null, failed: [] }]));
const distBefore = distFingerprint();
for (const c of cases) {
  const s = state.get(c.id);
  if (c.yo && yoProblem) {
    s.problem = yoProblem;
    continue;
  }
  const { problem } = execute(c);
  if (problem) s.problem = `warm-up run failed: ${problem}`;
}
// yo rows are compared with each other: if either cannot run, neither is measured.
for (const [a, b] of [
  ['yoTrivial', 'yoBpd'],
  ['yoBpd', 'yoTrivial'],
]) {
  if (state.get(a).problem && !state.get(b).problem) state.get(b).problem = `not measured because the other yo case failed`;
}

// Newest modification time in dist/: if it changes during the bench, someone rebuilt meanwhile and
// the runs mix two builds (an existing stack may then also drift, failing --check).
function distFingerprint() {
  let newest = 0;
  for (const f of readdirSync(path.join(ROOT, 'dist'), { recursive: true })) {
    try {
      newest = Math.max(newest, statSync(path.join(ROOT, 'dist', f)).mtimeMs);
    } catch {
      // a file removed while we look: a rebuild, seen at the end anyway
    }
  }
  return newest;
}

const started = Date.now();
for (let round = 0; round < OPTS.runs; round++) {
  const live = cases.filter((c) => !state.get(c.id).problem);
  for (let k = 0; k < live.length; k++) {
    const c = live[(k + round) % live.length];
    const s = state.get(c.id);
    const { seconds, problem } = execute(c);
    if (problem) s.failed.push(`run ${round + 1}: ${problem}`);
    else s.times.push(seconds);
  }
  process.stderr.write(`bench: round ${round + 1}/${OPTS.runs} done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}

// ---------------------------------------------------------------------------------------------
// Results

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stat = (id) => {
  const s = state.get(id);
  return s.problem || s.times.length === 0 ? null : { median: median(s.times), min: Math.min(...s.times) };
};

const rows = [];
const failures = [];
const f3 = (x) => x.toFixed(3);
const f2 = (x) => `${x.toFixed(2)}x`;

function row(id, { ref, refName, maxSeconds, maxRatio, targetText }) {
  const c = cases.find((x) => x.id === id);
  const s = stat(id);
  const r = ref ? stat(ref) : null;
  if (!s) {
    const why = state.get(id).problem ?? 'no runs';
    rows.push([c.label, 'not measured', '—', '—', targetText ?? '—', 'not measured']);
    failures.push(`${c.label}: not measured (${why.split('\n')[0]})`);
    return;
  }
  let ratioText = '—';
  const misses = [];
  if (ref) {
    if (!r) {
      ratioText = `? (${refName} not measured)`;
      if (maxRatio !== undefined) misses.push(`ratio to ${refName} unknown`);
    } else {
      const ratio = s.median / r.median;
      ratioText = `${f2(ratio)} ${refName}`;
      if (maxRatio !== undefined && ratio > maxRatio) misses.push(`ratio ${f2(ratio)} > ${f2(maxRatio)} ${refName}`);
    }
  }
  if (maxSeconds !== undefined && s.median > maxSeconds) misses.push(`median ${f3(s.median)} s > ${maxSeconds} s`);
  const hasTarget = maxSeconds !== undefined || maxRatio !== undefined;
  const failedRuns = state.get(id).failed.length;
  const verdict = (!hasTarget ? '—' : misses.length ? '**FAIL**' : 'pass') + (failedRuns ? ` (${failedRuns} of ${OPTS.runs} runs failed, left out)` : '');
  if (misses.length) failures.push(`${c.label}: ${misses.join('; ')}`);
  if (failedRuns)
    failures.push(`${c.label}: ${failedRuns} of ${OPTS.runs} runs failed (see below); the statistics use the other ${state.get(id).times.length}`);
  rows.push([c.label, f3(s.median), f3(s.min), ratioText, targetText ?? '—', verdict]);
}

const fast = { ref: 'baseline', refName: 'of baseline', maxSeconds: 0.25, maxRatio: 0.25, targetText: '≤ 0.25 s and ≥ 4x faster (≤ 0.25x baseline)' };
row('baseline', { targetText: 'reference' });
row('first', fast);
row('answers', fast);
row('check', fast);
row('dryrun', fast);
row('noop', { ref: 'first', refName: 'of first generation', maxRatio: 1.0, targetText: '≤ 1.0x first generation' });
row('i3', { ref: 'baseline', refName: 'of baseline', targetText: 'reference for --instances 64' });
row('i64', { ref: 'i3', refName: 'of --instances 3', maxRatio: 2.0, targetText: '≤ 2x --instances 3' });
row('library', { maxSeconds: 3.0, targetText: '≤ 3 s for the whole process' });
row('yoTrivial', { targetText: 'reference for yo' });
row('yoBpd', { ref: 'yoTrivial', refName: 'of yo trivial', maxRatio: 1.15, targetText: '≤ 1.15x yo trivial' });

const cpuModel = (() => {
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
    return m ? m[1].trim() : 'unknown';
  } catch {
    return 'unknown';
  }
})();
const nodeVersion = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();
const now = new Date()
  .toISOString()
  .replace('T', ' ')
  .replace(/\.\d+Z$/, ' UTC');
const load = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');

const esc = (s) => String(s).replace(/\|/g, '\\|');
const lines = [];
lines.push(`## bench: ${now}, node ${nodeVersion}, CPU ${cpuModel}, ${os.cpus().length} cores`);
lines.push('');
lines.push(
  `${OPTS.runs} timed runs per case (whole processes, after one untimed warm-up), rounds interleaved; load average at the end ${load}` +
    (yoUser ? `; yo ran as ${yoUser.name} (uid ${yoUser.uid})` : ''),
);
lines.push('');
lines.push('| case | median s | min s | ratio | target | pass/fail |');
lines.push('|---|---:|---:|---|---|---|');
for (const r of rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
lines.push('');
if (failures.length) {
  lines.push(`Targets missed or not measured (${failures.length}):`);
  for (const f of failures) lines.push(`- ${f}`);
} else {
  lines.push('All targets met.');
}
const problems = [...state.entries()].filter(([, s]) => s.problem || s.failed.length);
if (problems.length) {
  lines.push('');
  lines.push('Failed runs and cases not measured:');
  for (const [id, s] of problems) {
    for (const p of s.problem ? [s.problem] : s.failed) lines.push(`- ${cases.find((c) => c.id === id).label}: ${p}`);
  }
}
if (distFingerprint() !== distBefore) {
  lines.push('');
  lines.push('WARNING: dist/ was rebuilt while the bench ran (another build on this machine?): the runs mix two builds.');
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = 0;
