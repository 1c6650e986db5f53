#!/usr/bin/env node
// Benchmark of the generated stack on a real engine: the time from `make start` to every service
// healthy (`make start` returns when `docker compose up --wait` does), for 3 and for 16 instances,
// against a baseline in the same call: a compose file of one PostgreSQL service with the same
// healthcheck, the least any stack can take. Runs are interleaved round by round; medians are
// reported. BindPlane and its agents are the engine tier's stand-ins (see README), so the figures
// measure the compose wiring, start order and healthchecks, not BindPlane's own start-up.
//
//   npm run bench                     (builds first, then scripts/bench.mjs, then this)
//   node scripts/bench-engine.mjs [--runs N]
//
// It is a measurement, not a test: it exits 0 unless it cannot measure at all.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureImages, run, startEngine, dockerEnv } from '../__tests__/engine/lib/engine.mjs';
import { imageSpecs, POSTGRES_VERSION } from '../__tests__/engine/lib/specs.mjs';
import { generate } from '../dist/src/library.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 20) {
  process.stderr.write('bench-engine: --runs wants a whole number from 1 to 20\n');
  process.exit(2);
}
const log = (l) => process.stderr.write(`bench-engine: ${l}\n`);
const TMP = mkdtempSync(path.join(os.tmpdir(), 'bpd-bench-engine-'));

const engine = await startEngine({ log });
let code = 0;
try {
  await ensureImages(engine, imageSpecs(), { log });
  const env = { ...dockerEnv(engine), COMPOSE_PROGRESS: 'plain' };
  const timed = async (cmd, args, cwd) => {
    const t0 = process.hrtime.bigint();
    const r = await run(cmd, args, { cwd, env, timeoutMs: 15 * 60_000, allowFail: true });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${cwd} exited ${r.code}: ${r.stderr.slice(-2000)}`);
    return s;
  };
  const down = (cwd) =>
    run('docker', ['compose', 'down', '--volumes', '--remove-orphans', '--timeout', '5'], { cwd, env, timeoutMs: 5 * 60_000, allowFail: true });

  const baselineDir = path.join(TMP, 'baseline');
  const cases = [
    {
      id: 'baseline',
      label: 'baseline: one PostgreSQL service, `docker compose up -d --wait`',
      async prepare(dir) {
        rmSync(dir, { recursive: true, force: true });
        (await import('node:fs')).mkdirSync(dir, { recursive: true });
        writeFileSync(
          path.join(dir, 'docker-compose.yml'),
          `name: bpd-bench-baseline\nservices:\n  postgres:\n    image: postgres:${POSTGRES_VERSION}\n    environment:\n      POSTGRES_USER: bindplane\n      POSTGRES_DB: bindplane\n      POSTGRES_PASSWORD: bench\n    healthcheck:\n      test: ["CMD-SHELL", "pg_isready -U bindplane -d bindplane"]\n      interval: 5s\n      timeout: 5s\n      retries: 12\n      start_period: 10s\n`,
        );
      },
      measure: (dir) => timed('docker', ['compose', 'up', '-d', '--wait'], dir),
    },
    ...[3, 16].map((instances) => ({
      id: `stack-${instances}`,
      label: `make start, ${instances} instances (nats, 1 transform agent) until all healthy`,
      async prepare(dir) {
        rmSync(dir, { recursive: true, force: true });
        const r = await generate(dir, { projectName: `bpd-bench-${instances}`, instances, eventBus: 'nats', transformAgents: 1, httpPort: 18300 + instances });
        if (r.exitCode !== 0) throw new Error(`generate exited ${r.exitCode}`);
        appendFileSync(path.join(dir, '.env'), 'BINDPLANE_LICENSE=bench\n');
      },
      measure: (dir) => timed('make', ['--no-print-directory', 'start'], dir),
    })),
  ];
  const times = new Map(cases.map((c) => [c.id, []]));
  for (let round = 0; round < RUNS; round++) {
    const order = [...cases.slice(round % cases.length), ...cases.slice(0, round % cases.length)];
    for (const c of order) {
      const dir = c.id === 'baseline' ? baselineDir : path.join(TMP, c.id);
      await c.prepare(dir);
      const s = await c.measure(dir);
      times.get(c.id).push(s);
      log(`round ${round + 1}: ${c.id} ${s.toFixed(1)} s`);
      await down(dir);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const base = median(times.get('baseline'));
  const lines = [
    `Engine benchmark: ${RUNS} run${RUNS === 1 ? '' : 's'} each, interleaved; ${os.cpus().length} cores; ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    '| case | median | min | max | vs baseline |',
    '|---|---|---|---|---|',
    ...cases.map((c) => {
      const t = times.get(c.id);
      return `| ${c.label} | ${median(t).toFixed(1)} s | ${Math.min(...t).toFixed(1)} s | ${Math.max(...t).toFixed(1)} s | ${(median(t) / base).toFixed(2)}x |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} catch (e) {
  process.stderr.write(`bench-engine: could not measure: ${e.stack ?? e}\n`);
  code = 1;
} finally {
  await engine.stop();
  rmSync(TMP, { recursive: true, force: true });
}
process.exit(code);
