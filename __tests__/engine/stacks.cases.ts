// Scenario 1 (and 4): every event bus, with TLS off and self-signed, brought up by `make start` on
// the private engine; then the Makefile's everyday targets. Bindplane, its agents and Kafka are
// stand-ins that check the wiring they are given (see images/standin/); nginx, PostgreSQL,
// Prometheus and the Pub/Sub emulator are the real programs. Each stack uses one of the three
// stand-in variants (curl only, wget only, bash only), so the generated healthchecks are proven
// in all three images.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { Answers } from '../../src/answers/schema.js';
// @ts-expect-error plain ESM module without types
import { BINDPLANE_VERSIONS } from './lib/specs.mjs';
import { exec, get, Stack, until, wsHello } from './helpers.js';

type Tools = 'bash' | 'curl' | 'wget';
interface Case {
  name: string;
  answers: Partial<Answers>;
  tools: Tools;
}

const buses: [string, Partial<Answers>][] = [
  ['nats', { eventBus: 'nats' }],
  ['kafka1', { eventBus: 'kafka', kafkaBrokers: 1 }],
  ['kafka3', { eventBus: 'kafka', kafkaBrokers: 3 }],
  ['pubsub', { eventBus: 'pubsub', pubsubProjectId: 'engine-tier' }],
];
const toolsCycle: Tools[] = ['bash', 'curl', 'wget'];
const CASES: Case[] = buses.flatMap(([bus, answers], i) =>
  (['none', 'selfSigned'] as const).map((tls, j) => {
    const tools = toolsCycle[(i * 2 + j) % 3]!;
    return {
      name: `${bus}-${tls === 'none' ? 'plain' : 'tls'}`,
      tools,
      answers: { ...answers, tls, instances: 2, transformAgents: 1, demoAgents: 2, httpPort: 18100 + i * 2 + j, bindplaneVersion: BINDPLANE_VERSIONS[tools] },
    };
  }),
);

/** `make logs` follows the logs forever: read it for a while, then stop it and its children. */
async function followLogs(stack: Stack, service: string, ms: number): Promise<string> {
  const r = await exec('timeout', ['-s', 'INT', `${ms / 1000}`, 'make', '--no-print-directory', 'logs', `SERVICE=${service}`], {
    cwd: stack.dir,
    timeoutMs: ms + 10_000,
  });
  return r.stdout;
}

async function agentIdOf(stack: Stack, service: string): Promise<string | undefined> {
  const logs = (await stack.compose(['logs', '--no-color', service])).stdout;
  return /agent id (\S+)/.exec(logs)?.[1];
}

async function allHealthy(stack: Stack): Promise<string[]> {
  const ps = await stack.ps();
  return ps
    .filter((p) => !(p.State === 'running' && (p.Health === '' || p.Health === 'healthy')) && !(p.Service === 'pubsub-topic' && p.State === 'exited'))
    .map((p) => `${p.Service}: ${p.State} ${p.Health}`);
}

/** a generated stack on a real engine */
export function stackCases(): void {
  for (const c of CASES) {
    it(`${c.name} (${c.tools} image): make start, balancing, websockets, agents, status, logs, stop, restart, delete`, async () => {
      const stack = await Stack.create(`e-${c.name}`, c.answers);
      const t0 = Date.now();
      const phases: string[] = [];
      const phase = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(0)}s`);
      const secretKey = /^BINDPLANE_SECRET_KEY=(.*)$/m.exec(readFileSync(path.join(stack.dir, '.env'), 'utf8'))![1]!;

      const start = await stack.mustMake('start');
      phase('started');
      expect(start.stdout).toContain(`Bindplane: https://localhost:${stack.port}`.replace('https', c.answers.tls === 'none' ? 'http' : 'https'));
      expect(await allHealthy(stack)).toEqual([]);
      const services = new Set((await stack.ps()).map((p) => p.Service));
      const nodes = ['bindplane-1', 'bindplane-2'];
      for (const s of ['postgres', 'prometheus', 'loadbalancer', 'bindplane-jobs', ...nodes, 'transform-agent-1', 'demo-agent-1', 'demo-agent-2'])
        expect(services, s).toContain(s);

      // The image has exactly the HTTP tools of its variant, and its healthcheck still passed.
      const tools = await exec(
        'docker',
        ['compose', 'exec', '-T', 'bindplane-1', 'sh', '-c', 'for t in curl wget bash; do command -v $t >/dev/null && echo $t; done; true'],
        { cwd: stack.dir },
      );
      expect(tools.stdout.trim().split('\n').sort()).toEqual(c.tools === 'bash' ? ['bash'] : ['bash', c.tools].sort());

      // The load balancer spreads requests over every node instance, never the jobs instance.
      const ids = await stack.instancesById();
      const served = new Set<string>();
      for (let i = 0; i < 30 && served.size < nodes.length; i++) {
        const r = await get(`${stack.url}/health`);
        expect(r.status, JSON.stringify(r)).toBe(200);
        served.add(ids.get(r.instance!) ?? `unknown ${r.instance}`);
      }
      expect([...served].sort()).toEqual(nodes);

      // Websockets reach an instance through it: OpAMP with the secret key, and the UI's GraphQL.
      const wsBase = stack.url.replace(/^http/, 'ws');
      const opamp = await wsHello(`${wsBase}/v1/opamp`, { Authorization: `Secret-Key ${secretKey}` });
      expect(nodes).toContain(ids.get(opamp.instance));
      const graphql = await wsHello(`${wsBase}/v1/graphql`);
      expect(nodes).toContain(ids.get(graphql.instance));
      await expect(wsHello(`${wsBase}/v1/opamp`, { Authorization: 'Secret-Key wrong' })).rejects.toThrow(/HTTP 401/);

      // Both demo agents dialled the load balancer with the key and TLS setting they were given.
      const agents = await until('both demo agents connected', async () => {
        const logs = await stack.compose(['logs', '--no-color', 'demo-agent-1', 'demo-agent-2']);
        const connected = new Set([...logs.stdout.matchAll(/^(\S+)\s+\|.*connected to (\S+) via (\S+)/gm)].map((m) => m[1]));
        return connected.size >= 2 ? logs.stdout : undefined;
      });
      expect(agents).toContain(`via ${c.answers.tls === 'none' ? 'ws' : 'wss'}://loadbalancer:${stack.port}/v1/opamp`);

      phase('checked');
      // A re-created agent container is the same agent: its identity lives in its own volume.
      const agentId = async () =>
        /agent id (\S+)/.exec(
          (await stack.compose(['logs', '--no-color', '--tail=50', 'demo-agent-1'])).stdout
            .split('\n')
            .filter((l) => l.includes('agent id'))
            .pop() ?? '',
        )?.[1];
      const firstId = await agentId();
      expect(firstId).toMatch(/^[0-9a-f-]{36}$/);
      await stack.compose(['up', '-d', '--force-recreate', '--no-deps', 'demo-agent-1']);
      const secondLog = await until('the re-created agent reports its id', async () => {
        const logs = (await stack.compose(['logs', '--no-color', 'demo-agent-1'])).stdout;
        return /\(from \/etc\/otel\/storage\/manager\.yaml\)/.test(logs) ? logs : undefined;
      });
      expect(secondLog).toContain(`agent id ${firstId} (from /etc/otel/storage/manager.yaml)`);
      const secondAgent = await agentIdOf(stack, 'demo-agent-2');
      expect(secondAgent).toMatch(/^[0-9a-f-]{36}$/);
      expect(firstId).not.toBe(secondAgent);

      phase('agent identity');
      // status lists every service with its health; logs shows the service's own lines.
      const status = await stack.mustMake('status');
      for (const s of services) if (s !== 'pubsub-topic') expect(status.stdout, s).toContain(s);
      expect(status.stdout).toMatch(/healthy/);
      expect(await followLogs(stack, 'bindplane-1', 3_000)).toMatch(/bindplane-1.*\| .*check/i);

      // stop keeps the containers (and data); restart brings every one back, healthy.
      await stack.mustMake('stop');
      const stopped = await stack.ps();
      expect(stopped.filter((p) => p.State === 'running').map((p) => p.Service)).toEqual([]);
      expect(stopped.length).toBe(services.size);
      phase('stopped');
      await stack.mustMake('restart');
      await until('every service healthy after restart', async () => ((await allHealthy(stack)).length === 0 ? true : undefined), 120_000, 1_000);

      phase('restarted');
      // delete answered "no" deletes nothing; CONFIRM=yes removes every container, network and volume.
      const no = await stack.make('delete', [], { input: 'no\n' });
      expect(no.stdout).toContain('Nothing was deleted.');
      expect(no.code).toBe(0);
      expect(no.stderr).not.toMatch(/make: \*\*\*/);
      expect((await stack.ps()).length).toBeGreaterThan(0);
      await stack.mustMake('delete', ['CONFIRM=yes']);
      expect(await stack.leftovers()).toEqual([]);
      phase('deleted');
      console.log(`${c.name}: ${phases.join(', ')}`);
    }, 420_000);
  }
}
