// Scenario 1 (and 4): every event bus, with TLS off and self-signed, brought up by `make start` on
// the private engine; then the Makefile's everyday targets. Bindplane, its agents and Kafka are
// stand-ins that check the wiring they are given (see images/standin/); nginx, PostgreSQL,
// Prometheus and the Pub/Sub emulator are the real programs. Each stack uses one of the three
// stand-in variants (curl only, wget only, bash only), so the generated healthchecks are proven
// in all three images.
import { statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { Answers } from '../../src/answers/schema.js';
// @ts-expect-error plain ESM module without types
import { BINDPLANE_VERSIONS } from './lib/specs.mjs';
import { envValue, exec, fileStates, get, serverAgents, Stack, until, untilConnected, wsHello } from './helpers.js';

type Tools = 'bash' | 'curl' | 'wget';
interface Case {
  name: string;
  answers: Partial<Answers>;
  tools: Tools;
  /** Also the first start's promises: a second start changes nothing, the doctor names a refused agent, delete and start anew. */
  firstStart: boolean;
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
      firstStart: tls === 'none' && (bus === 'nats' || bus === 'pubsub'),
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

/**
 * What the first start promises beyond the first run: a second make start does no setup and
 * changes no file; a demo agent that dials with a wrong key makes make doctor fail naming it, and
 * make start re-enrolls it.
 */
async function firstStartPhases(stack: Stack, phase: (name: string) => void): Promise<void> {
  const before = fileStates(stack.dir);
  const second = await stack.mustMake('start');
  expect(second.stdout).not.toContain('creating');
  expect(second.stdout).not.toContain('re-enrolled');
  expect(fileStates(stack.dir)).toEqual(before);
  phase('second start');

  const doctor = await stack.make('doctor');
  expect(doctor.code, doctor.stdout).toBe(0);
  expect(doctor.stdout).toMatch(/^ok {4}demo-agent-2 is connected to the server$/m);
  // demo-agent-2 obeys its manager.yaml: a wrong key there, and it is refused from now on.
  await stack.compose(['exec', '-T', 'demo-agent-2', 'sh', '-c', 'sed -i \'s/^secret_key:.*/secret_key: "wrong-key"/\' "$MANAGER_YAML_PATH"']);
  await stack.compose(['restart', 'demo-agent-2']);
  const refused = await until(
    'make doctor to name demo-agent-2',
    async () => {
      const r = await stack.make('doctor');
      // The doctor exits 1; make reports a failed recipe as 2.
      return r.code === 2 && /^FAIL {2}demo-agent-2 runs but the server does not list it as connected$/m.test(r.stdout) ? r : undefined;
    },
    60_000,
    2_000,
  );
  expect(refused.stdout).toMatch(/^ok {4}demo-agent-1 is connected to the server$/m);
  const logs = await stack.compose(['logs', '--no-color', '--tail=20', 'demo-agent-2']);
  expect(logs.stdout).toMatch(/401 Unauthorized/);
  const idBefore = (await serverAgents(stack)).find((a) => a.name === 'demo-agent-2')?.id;
  const repair = await stack.mustMake('start');
  expect(repair.stdout).toMatch(/demo-agent-2: re-enrolled/);
  const after = await untilConnected(stack, ['demo-agent-1', 'demo-agent-2']);
  expect(after.find((a) => a.name === 'demo-agent-2')?.id).toBe(idBefore);
  expect((await stack.make('doctor')).code).toBe(0);
  phase('refused agent named, re-enrolled');
}

/** a generated stack on a real engine */
export function stackCases(): void {
  for (const c of CASES) {
    it(`${c.name} (${c.tools} image): make start, balancing, websockets, agents, status, logs, stop, restart, delete`, async () => {
      const stack = await Stack.create(`e-${c.name}`, c.answers);
      const t0 = Date.now();
      const phases: string[] = [];
      const phase = (name: string) => phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(0)}s`);
      const start = await stack.mustMake('start');
      phase('started');
      // First start: a new server has no organization; make start made it and kept the project's key.
      expect(start.stdout).toContain(`no organization yet: creating e-${c.name}`);
      const secretKey = envValue(stack, 'PROJECT_SECRET_KEY')!;
      expect(secretKey).toBeTruthy();
      expect(envValue(stack, 'BINDPLANE_SECRET_KEY')).toBeUndefined();
      expect(start.stdout + start.stderr).not.toContain(secretKey);
      expect(statSync(path.join(stack.dir, '.env')).mode & 0o777).toBe(0o600);
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
      // The server lists both as connected, bound to the starter configuration make start applied.
      const listed = await untilConnected(stack, ['demo-agent-1', 'demo-agent-2']);
      for (const a of listed.filter((x) => x.name.startsWith('demo-agent-'))) expect(a.configuration, a.name).toBe(`e-${c.name}-demo`);
      if (c.firstStart) await firstStartPhases(stack, phase);

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
      expect(await followLogs(stack, 'bindplane-1', 10_000)).toMatch(/bindplane-1.*\| .*check/i);

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
      if (c.firstStart) {
        // A new database: a new organization and a new key, and the agents (new volumes) follow.
        const again = await stack.mustMake('start');
        expect(again.stdout).toContain(`no organization yet: creating e-${c.name}`);
        const newKey = envValue(stack, 'PROJECT_SECRET_KEY');
        expect(newKey).toBeTruthy();
        expect(newKey).not.toBe(secretKey);
        await untilConnected(stack, ['demo-agent-1', 'demo-agent-2']);
        await stack.mustMake('delete', ['CONFIRM=yes']);
        phase('deleted, started anew, deleted');
      }
      console.log(`${c.name}: ${phases.join(', ')}`);
    }, 420_000);
  }
}
