// Scenarios 2 and 3: a client loop through the load balancer while one node instance is stopped
// and started again, and while a regeneration changes the number of instances under a running
// stack (3 -> 5 -> 2). Nothing may fail, and nothing may be slow.
import { expect, it } from 'vitest';
import { clientLoop, get, Stack, until, type LoopResult } from './helpers.js';

const SLOW_MS = 1_000;

function summary(r: LoopResult): string {
  return `${r.total} requests, ${r.failed.length} failed, slowest ${r.slowest} ms; failures: ${JSON.stringify(r.failed.slice(0, 5))}`;
}

/** Which services answer through the load balancer, over a bounded burst of requests. */
async function servingServices(stack: Stack, expected: number): Promise<string[]> {
  const ids = await stack.instancesById();
  const served = new Set<string>();
  for (let i = 0; i < expected * 20 && served.size < expected; i++) {
    const r = await get(`${stack.url}/health`);
    if (r.status === 200 && r.instance) served.add(ids.get(r.instance) ?? `unknown ${r.instance}`);
  }
  return [...served].sort();
}

async function containerIds(stack: Stack): Promise<Map<string, string>> {
  return new Map((await stack.ps()).map((p) => [p.Service, p.ID]));
}

/** under load */
export function underLoadCases(): void {
  it('one node instance stopped and started again: 0 failed requests, none slower than 1 s', async () => {
    const stack = await Stack.create('e-failover', { eventBus: 'nats', instances: 3, transformAgents: 1, httpPort: 18201 });
    await stack.mustMake('start');
    const loop = clientLoop(`${stack.url}/health`, { workers: 3, pauseMs: 10 });
    await new Promise((r) => setTimeout(r, 3_000));
    await stack.compose(['stop', 'bindplane-1']);
    await new Promise((r) => setTimeout(r, 8_000));
    await stack.compose(['start', 'bindplane-1']);
    await until(
      'bindplane-1 healthy again',
      async () => ((await stack.ps()).find((p) => p.Service === 'bindplane-1')?.Health === 'healthy' ? true : undefined),
      90_000,
    );
    await new Promise((r) => setTimeout(r, 4_000));
    const r = await loop.stop();
    console.log(`failover: ${summary(r)}`);
    expect(r.total).toBeGreaterThan(200);
    expect(r.failed, summary(r)).toEqual([]);
    expect(r.slowest, summary(r)).toBeLessThan(SLOW_MS);
    // And the instance is back in rotation.
    expect(await servingServices(stack, 3)).toEqual(['bindplane-1', 'bindplane-2', 'bindplane-3']);
    await stack.destroy();
  }, 300_000);

  it('regeneration under a running stack: 3 -> 5 -> 2 instances with make start, 0 failed requests', async () => {
    const stack = await Stack.create('e-scale', { eventBus: 'nats', instances: 3, transformAgents: 1, httpPort: 18202 });
    await stack.mustMake('start');
    const before = await containerIds(stack);

    // 3 -> 5: only the new instances start; nothing that ran is recreated; the load balancer follows.
    let loop = clientLoop(`${stack.url}/health`, { workers: 3, pauseMs: 10 });
    await stack.regenerate('--instances', '5');
    await stack.mustMake('start');
    await new Promise((r) => setTimeout(r, 3_000));
    let r = await loop.stop();
    console.log(`scale 3 -> 5: ${summary(r)}`);
    expect(r.failed, summary(r)).toEqual([]);
    expect(r.slowest, summary(r)).toBeLessThan(SLOW_MS);
    const grown = await containerIds(stack);
    for (const [service, id] of before) expect(grown.get(service), `${service} was recreated`).toBe(id);
    expect(await servingServices(stack, 5)).toEqual(['bindplane-1', 'bindplane-2', 'bindplane-3', 'bindplane-4', 'bindplane-5']);

    // 5 -> 2: the load balancer lets go of the removed instances before they are removed.
    loop = clientLoop(`${stack.url}/health`, { workers: 3, pauseMs: 10 });
    await stack.regenerate('--instances', '2');
    await stack.mustMake('start');
    await new Promise((r) => setTimeout(r, 3_000));
    r = await loop.stop();
    console.log(`scale 5 -> 2: ${summary(r)}`);
    expect(r.failed, summary(r)).toEqual([]);
    expect(r.slowest, summary(r)).toBeLessThan(SLOW_MS);
    const shrunk = await containerIds(stack);
    expect([...shrunk.keys()].filter((s) => s.startsWith('bindplane-')).sort()).toEqual(['bindplane-1', 'bindplane-2', 'bindplane-jobs']);
    for (const s of ['postgres', 'bindplane-jobs', 'bindplane-1', 'bindplane-2', 'loadbalancer'])
      expect(shrunk.get(s), `${s} was recreated`).toBe(before.get(s));
    expect(await servingServices(stack, 2)).toEqual(['bindplane-1', 'bindplane-2']);
    await stack.destroy();
  }, 400_000);
}
