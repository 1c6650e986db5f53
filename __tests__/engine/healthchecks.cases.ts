// Scenario 4, command by command: the generated HTTP probe run inside each stand-in variant (curl
// only, wget only, bash only), against the stand-in's own server. It passes on 200 in all three,
// fails on any other answer in all three, and the former `curl || wget` probe fails where the
// image has neither tool.
import { afterAll, expect, it } from 'vitest';
import { httpProbe } from '../../src/model/compose/health.js';
import { PORTS } from '../../src/model/index.js';
// @ts-expect-error plain ESM module without types
import { BINDPLANE_VERSIONS, REGISTRY } from './lib/specs.mjs';
import { exec, mustExec, until } from './helpers.js';

const started: string[] = [];
afterAll(async () => {
  for (const id of started) await exec('docker', ['rm', '-f', id]);
});

/** What the shell inside the container receives: compose turns `$$` into `$`. */
const asShellSees = (composeText: string) => composeText.replace(/\$\$/g, '$');

/** the generated healthcheck in every kind of image */
export function healthcheckCases(): void {
  for (const [tools, version] of Object.entries(BINDPLANE_VERSIONS as Record<string, string>)) {
    it(`${tools} image`, async () => {
      const image = `${REGISTRY}/bindplane-transform-agent:${version}-bindplane`;
      const run = await mustExec('docker', ['run', '-d', '--network', 'none', image]);
      const id = run.stdout.trim();
      started.push(id);
      const sh = (cmd: string) => exec('docker', ['exec', id, 'sh', '-c', cmd], { timeoutMs: 20_000 });
      await until(
        'the stand-in listening',
        async () => ((await sh(asShellSees(httpProbe(PORTS.transformAgent, '/collector-version')))).code === 0 ? true : undefined),
        30_000,
      );

      expect((await sh(asShellSees(httpProbe(PORTS.transformAgent, '/collector-version')))).code).toBe(0);
      expect((await sh(asShellSees(httpProbe(PORTS.transformAgent, '/no-such-path')))).code).not.toBe(0);
      expect((await sh(asShellSees(httpProbe(PORTS.transformAgent + 1, '/collector-version')))).code).not.toBe(0);
      const former = `curl -fsS -o /dev/null http://127.0.0.1:${PORTS.transformAgent}/collector-version || wget -q -O /dev/null http://127.0.0.1:${PORTS.transformAgent}/collector-version`;
      expect((await sh(former)).code === 0).toBe(tools !== 'bash');
    }, 90_000);
  }
}
