// Compose containers' limits and privileges (issue 20, row 9): every service of a new stack has
// no-new-privileges and a memory limit (the doctor's 512 MiB per Bindplane process and transform
// agent), capabilities dropped only where the image runs as its own non-root user, a comment
// elsewhere; a stack from before the answer keeps its containers as they were.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { PER_PROCESS_MIB } from '../src/model/compose/operations.js';
import { cleanupTempDirs, cli, forgetStoredAnswer, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const read = (dest: string, f: string) => readFileSync(path.join(dest, f), 'utf8');
type Service = { mem_limit?: string; security_opt?: string[]; cap_drop?: string[] };
const services = (dest: string) => (yaml.load(read(dest, 'docker-compose.yml')) as { services: Record<string, Service> }).services;
/** The text of one service's block in docker-compose.yml (anchors included for the ones that merge them). */
const blockOf = (text: string, name: string) => new RegExp(`^  ${name}:\\n((?:    .*\\n|\\n)*)`, 'm').exec(text)?.[1] ?? '';
const DROPPED = /^(prometheus|kafka-\d+)$/;

describe('containerHardening', () => {
  it.each([
    ['kafka, transform agents, demo agents', ['--event-bus', 'kafka', '--kafka-brokers', '3', '--transform-agents', '2', '--demo-agents', '2']],
    ['the Pub/Sub emulator', ['--event-bus', 'pubsub', '--pubsub-project-id', 'bindplane-test']],
    ['nats', []],
  ])('every service of a new stack with %s has no-new-privileges and a memory limit; capabilities dropped only where the image allows', (_, flags) => {
    const dest = path.join(tempDir(), 'stack');
    const r = cli([dest, '--defaults', ...flags]);
    expect(r.status, r.stderr).toBe(0);
    const text = read(dest, 'docker-compose.yml');
    const all = services(dest);
    expect(Object.keys(all).length).toBeGreaterThan(5);
    for (const [name, s] of Object.entries(all)) {
      expect(s.security_opt, name).toEqual(['no-new-privileges:true']);
      expect(s.mem_limit, name).toMatch(/^\d+m$/);
      if (/^(bindplane-|transform-agent-)/.test(name)) expect(s.mem_limit, name).toBe(`${PER_PROCESS_MIB}m`);
      if (DROPPED.test(name)) expect(s.cap_drop, name).toEqual(['ALL']);
      else {
        expect(s.cap_drop, name).toBeUndefined();
        // Said, not guessed: the block (or the anchor it merges) tells why the capabilities stay.
        const anchor = /^bindplane-/.test(name) ? 'x-bindplane: &bindplane' : /^demo-agent-/.test(name) ? 'x-demo-agent: &demo-agent' : undefined;
        const where = anchor ? text.slice(text.indexOf(anchor)).split('\n\n')[0]! : blockOf(text, name);
        expect(where, name).toMatch(/# capabilities kept: /);
      }
    }
    expect(all.loadbalancer!.mem_limit).toBe('128m');
    expect(blockOf(text, 'loadbalancer')).toContain("nginx's master process needs SETUID, SETGID and CHOWN");
    expect(blockOf(text, 'postgres')).toContain("the image's entrypoint chowns its data folder");
  });

  it('a stack from before the answer keeps its compose file byte for byte, is told once per run, and moves with one flag', () => {
    const dest = path.join(tempDir(), 'stack');
    expect(cli([dest, '--defaults', '--container-hardening', 'none']).status).toBe(0);
    const before = read(dest, 'docker-compose.yml');
    expect(before).not.toMatch(/mem_limit|security_opt|cap_drop/);
    forgetStoredAnswer(dest, 'containerHardening');
    const r = cli([dest]);
    expect(r.status, r.stderr).toBe(0);
    expect(read(dest, 'docker-compose.yml')).toBe(before);
    expect(r.stdout.split('\n').filter((l) => l.includes('--container-hardening standard'))).toHaveLength(1);
    const moved = cli([dest, '--container-hardening', 'standard']);
    expect(moved.status, moved.stderr).toBe(0);
    expect(Object.values(services(dest)).every((s) => s.security_opt?.[0] === 'no-new-privileges:true')).toBe(true);
    expect(moved.stdout).not.toContain('--container-hardening standard');
  });
});
