// The stand-ins' own proof that they fail on wrong wiring: their self-test runs each role on this
// machine (loopback only) against real PostgreSQL, Prometheus, nats-server and the Pub/Sub
// emulator, with right values and with each kind of wrong value.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/stack.js';
import { runAsync } from './servers/helpers.js';

describe('the stand-ins', () => {
  it('pass with the right wiring and fail, naming it, with each wrong value', async () => {
    const r = await runAsync(process.execPath, [path.join(ROOT, '__tests__/engine/images/standin/selftest.mjs')], { timeoutMs: 240_000 });
    expect(r.code, `${r.stdout.slice(-6000)}\n${r.stderr.slice(-3000)}`).toBe(0);
    expect(r.stdout).toMatch(/^(\d+) passed, 0 failed$/m);
  }, 300_000);
});
