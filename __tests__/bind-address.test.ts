// The bindAddress answer (issue 20, row 7): where the load balancer's one published port listens.
// New stacks listen on 127.0.0.1; a stack generated before the answer existed keeps "3001:3001"
// (every interface) byte for byte; plain HTTP on every interface is said in the summary, on every
// run and in the README.
import { isIP } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { summary } from '../src/answers/flow.js';
import { IP_LITERAL } from '../src/answers/schema.js';
import { cleanupTempDirs, cli, forgetStoredAnswer, tempDir } from './helpers/stack.js';

afterAll(cleanupTempDirs);

const read = (dest: string, f: string) => readFileSync(path.join(dest, f), 'utf8');
const ports = (dest: string) => (yaml.load(read(dest, 'docker-compose.yml')) as any).services.loadbalancer.ports;
const WARNING = /the admin login is plain HTTP on every interface \(port 3001 on 0\.0\.0\.0, tls none\)/;
const storedOf = (dest: string) => JSON.parse(read(dest, '.yo-rc.json'))['generator-bindplane-distributed'];

describe('bindAddress', () => {
  it('a new stack publishes its port on 127.0.0.1 only, and its README says what other hosts need', () => {
    const dest = path.join(tempDir(), 'stack');
    const r = cli([dest, '--defaults']);
    expect(r.status, r.stderr).toBe(0);
    expect(read(dest, 'docker-compose.yml')).toContain('      - "127.0.0.1:3001:3001"\n');
    expect(ports(dest)).toEqual(['127.0.0.1:3001:3001']);
    expect(storedOf(dest).bindAddress).toBe('127.0.0.1');
    expect(read(dest, 'README.md')).toMatch(
      /The port listens on 127\.0\.0\.1 only\. Agents on other hosts cannot reach it: for them, regenerate with `--bind-address 0\.0\.0\.0` \(and TLS/,
    );
    expect(r.stdout + read(dest, 'README.md')).not.toMatch(WARNING);
  });

  it('0.0.0.0 without TLS renders "3001:3001" and says in one line, on every run and in the README, that the login is plain HTTP to the network', () => {
    const dest = path.join(tempDir(), 'stack');
    const r = cli([dest, '--defaults', '--bind-address', '0.0.0.0']);
    expect(r.status, r.stderr).toBe(0);
    expect(ports(dest)).toEqual(['3001:3001']);
    expect(r.stdout.split('\n').filter((l) => WARNING.test(l))).toEqual([expect.stringMatching(/^notice: /)]);
    expect(
      read(dest, 'README.md')
        .split('\n')
        .filter((l) => WARNING.test(l)),
    ).toEqual([expect.stringMatching(/^\*\*Warning:\*\* /)]);
    expect(cli([dest]).stdout).toMatch(WARNING);
    // With TLS the port may face the network: no warning.
    const tls = cli([dest, '--tls', 'selfSigned']);
    expect(tls.status, tls.stderr).toBe(0);
    expect(tls.stdout + read(dest, 'README.md')).not.toMatch(/plain HTTP on every interface/);
  });

  it('the summary before writing carries the same line', () => {
    const dest = path.join(tempDir(), 'stack');
    const layer = (values: Record<string, string>) => ({ source: 'flag' as const, values, baseDir: dest });
    // Wrapped to the terminal's width (80 without one): compared with its line breaks folded.
    const folded = summary({ layers: [layer({ bindAddress: '0.0.0.0' })], dest }).replace(/\n +/g, ' ');
    expect(folded).toMatch(new RegExp(` Warning: ${WARNING.source}`));
    expect(summary({ layers: [layer({ bindAddress: '0.0.0.0', tls: 'selfSigned' })], dest })).not.toMatch(/Warning/);
    expect(summary({ layers: [layer({})], dest })).not.toMatch(/Warning/);
  });

  it('an IPv6 address is published in brackets', () => {
    const dest = path.join(tempDir(), 'stack');
    expect(cli([dest, '--defaults', '--bind-address', '::1']).status).toBe(0);
    expect(ports(dest)).toEqual(['[::1]:3001:3001']);
  });

  it('a stack generated before the answer existed keeps "3001:3001" byte for byte, and the answer stays unstored', () => {
    const dest = path.join(tempDir(), 'stack');
    expect(cli([dest, '--defaults', '--bind-address', '0.0.0.0']).status).toBe(0);
    const compose = read(dest, 'docker-compose.yml');
    forgetStoredAnswer(dest, 'bindAddress');
    const r = cli([dest]);
    expect(r.status, r.stderr).toBe(0);
    expect(read(dest, 'docker-compose.yml')).toBe(compose);
    expect(storedOf(dest).bindAddress).toBeUndefined();
    expect(r.stdout).toMatch(WARNING);
  });

  it.each(['localhost', '256.0.0.1', '1.2.3', '01.2.3.4x', '::g', '1:2:3:4:5:6:7:8:9', '0.0.0.0; id', '0.0.0.0:3001', '[::1]', ''])(
    'refuses --bind-address %j with one message naming the flag, exit 2, nothing written',
    (value) => {
      const dest = path.join(tempDir(), 'stack');
      const r = cli([dest, '--defaults', '--bind-address', value]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--bind-address: .*an IPv4 or IPv6 address/);
      expect(existsSync(dest)).toBe(false);
    },
  );

  it('the pattern takes exactly the addresses Node takes, but zone indexes and embedded IPv4', () => {
    const samples = [
      '0.0.0.0',
      '127.0.0.1',
      '255.255.255.255',
      '10.1.2.3',
      '256.1.1.1',
      '1.2.3.04',
      '1.2.3',
      '::',
      '::1',
      '1::',
      'fe80::1',
      '2001:db8::8a2e:370:7334',
      '2001:0db8:0000:0000:0000:ff00:0042:8329',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1::8',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9',
      ':::',
      '1:::2',
      'g::1',
      '12345::',
    ];
    for (const s of samples) expect(IP_LITERAL.test(s), s).toBe(isIP(s) !== 0);
  });
});
