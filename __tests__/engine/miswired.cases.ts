// The stand-ins check the wiring they are given: a stack with one wrong value does not become
// healthy, and the stand-in's /health names what is wrong. (A few of the wrong values the
// stand-ins' self-test covers, here through a whole generated stack on the engine.)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { Answers } from '../../src/answers/schema.js';
import { exec, mustExec, Stack, until } from './helpers.js';

const CASES: { name: string; answers: Partial<Answers>; file: string; from: string | RegExp; to: string; reason: RegExp }[] = [
  {
    name: 'remote write to the wrong Prometheus port',
    answers: { eventBus: 'nats', instances: 1 },
    file: 'bindplane/bindplane.env',
    from: 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT=9090',
    to: 'BINDPLANE_PROMETHEUS_REMOTE_WRITE_PORT=9091',
    reason: /prometheus[^"]*9091/i,
  },
  {
    name: 'a Kafka broker that advertises localhost',
    answers: { eventBus: 'kafka', kafkaBrokers: 1, instances: 1 },
    file: 'docker-compose.yml',
    from: 'KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka-1:9092',
    to: 'KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://localhost:9092',
    reason: /localhost:9092/,
  },
  {
    name: 'the wrong PostgreSQL user',
    answers: { eventBus: 'nats', instances: 1 },
    file: 'bindplane/bindplane.env',
    from: 'BINDPLANE_POSTGRES_USERNAME=bindplane',
    to: 'BINDPLANE_POSTGRES_USERNAME=postgres',
    reason: /password authentication failed for user[^"]*"postgres|role [^"]*"postgres[^"]*" does not exist/,
  },
];

/** a mis-wired stack */
export function miswiredCases(): void {
  CASES.forEach((c, i) => {
    it(`${c.name}: the jobs instance stays unhealthy and says why`, async () => {
      const stack = await Stack.create(`e-miswired-${i}`, { ...c.answers, transformAgents: 1, httpPort: 18220 + i });
      const file = path.join(stack.dir, c.file);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain(c.from);
      writeFileSync(file, text.replace(c.from, c.to));
      // Without --wait: the point is what the stand-in says, not compose giving up after its retries.
      await mustExec('docker', ['compose', 'up', '-d', 'bindplane-jobs'], { cwd: stack.dir, timeoutMs: 180_000 });
      const health = await until(
        'the jobs instance to report the wrong value',
        async () => {
          const r = await exec(
            'docker',
            [
              'compose',
              'exec',
              '-T',
              'bindplane-jobs',
              'node',
              '-e',
              'fetch("http://127.0.0.1:3001/health").then(async (r) => console.log(r.status, await r.text()))',
            ],
            { cwd: stack.dir },
          );
          return r.code === 0 && c.reason.test(r.stdout) ? r.stdout : undefined;
        },
        90_000,
        2_000,
      );
      expect(health).toMatch(/^503 /);
      await stack.destroy();
    }, 300_000);
  });
}
