// Every target of the generated Makefile, run by real make with a stand-in `docker` first on PATH
// that records each call's arguments (and whether the certificate existed at that moment). No
// terminal: stdin is /dev/null unless a test types an answer. openssl is real.
import { appendFileSync, chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, generateStack, tempDir } from '../helpers/stack.js';
import { mustRun, requireTool, run } from './helpers.js';

const FAKE_DOCKER = `#!/bin/sh
# Stand-in docker: records its arguments, one call per line, each argument in brackets.
{
  printf 'cert=%s' "$(if [ -s local/tls/tls.crt ]; then echo yes; else echo no; fi)"
  for a in "$@"; do printf ' [%s]' "$a"; done
  printf '\\n'
} >> "$DOCKER_LOG"
# \`compose ps -q\` finds a running container unless the test says the stack is stopped.
case " $* " in *" ps "*"-q "*) [ -n "\${FAKE_STOPPED:-}" ] || echo fake-container-id ;; esac
# The bindplane CLI in the jobs container, as a server whose organization exists answers.
case " $* " in *" exec -T bindplane-jobs bindplane "*" get projects "*) printf 'NAME\\tID\\tSECRETKEY \\nDefault Project\\t01\\tfake-project-key\\t\\n' ;; esac
case " $* " in *" exec -T bindplane-jobs bindplane "*" get agents "*) echo 'No matching resources found.' ;; esac
case " $* " in *" exec -T bindplane-jobs bindplane "*" apply -f - "*) cat > /dev/null; echo 'Configuration fake created' ;; esac
# \`compose config --services\` lists the services of the compose file, as compose would.
case " $* " in *" config --services "*) awk '/^services:/ { s = 1; next } /^[a-z]/ { s = 0 } s && /^  [a-z0-9-]+:$/ { sub(":", ""); print $1 }' docker-compose.yml ;; esac
`;

let bin: string;
let makePath: string;

beforeAll(() => {
  makePath = requireTool('make', 'apt-get install make');
  requireTool('openssl');
  bin = tempDir('bpd-fakebin-');
  writeFileSync(path.join(bin, 'docker'), FAKE_DOCKER);
  chmodSync(path.join(bin, 'docker'), 0o755);
});

afterAll(() => cleanupTempDirs());

interface MakeRun {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[][];
  /** Every call, \`compose config\` included. */
  allCalls: string[][];
  /** Whether local/tls/tls.crt existed at each docker call. */
  certAtCall: boolean[];
}

function makeIn(dir: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): MakeRun {
  const log = path.join(dir, '.docker-calls');
  writeFileSync(log, '');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, DOCKER_LOG: log, ...opts.env };
  // Nothing from the caller's environment may steer the Makefile: no license, no COMPOSE override,
  // no parallel make.
  for (const k of ['BINDPLANE_LICENSE', 'COMPOSE', 'MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'CONFIRM', 'SERVICE', 'FAKE_STOPPED'])
    if (!opts.env || !(k in opts.env)) delete env[k];
  const r = run(makePath, args, { cwd: dir, env, input: opts.input, timeoutMs: 60_000 });
  // `compose config` only reads the file (the day-2 script lists services with it): left out.
  const all = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const argsOf = (l: string) => [...l.matchAll(/ \[([^\]]*)\]/g)].map((m) => m[1]!);
  const lines = all.filter((l) => !/ \[compose\] \[-p\] \[[^\]]*\] \[-f\] \[[^\]]*\] \[config\]/.test(l));
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    calls: lines.map(argsOf),
    allCalls: all.map(argsOf),
    certAtCall: lines.map((l) => l.startsWith('cert=yes')),
  };
}

/** The targets a Makefile defines (rules whose name is a plain word). */
function targets(dir: string): string[] {
  const text = readFileSync(path.join(dir, 'Makefile'), 'utf8');
  // A target-specific variable (`logs: private export ...`) names its target once more.
  return [...new Set([...text.matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]!))].sort();
}

/** What every Compose call of the stack begins with: its own project and file, whatever the environment says. */
const STACK = ['-p', 'bindplane', '-f', 'docker-compose.yml'];
const compose = (...args: string[]) => ['compose', ...STACK, ...args];
/** The Compose subcommand of a call (after the project and file). */
const subcommand = (call: string[]) => call[1 + STACK.length];
/** make restart: each Bindplane process replaced in turn (jobs, transform agent, nodes), then nginx reloaded. */
const ROLLING_CALLS = [
  ...['postgres', 'prometheus', 'loadbalancer'].map((s) => compose('ps', '-q', '--status', 'running', s)),
  ...['bindplane-jobs', 'transform-agent-1', 'bindplane-1', 'bindplane-2', 'bindplane-3'].map((s) =>
    compose('up', '-d', '--no-deps', '--force-recreate', '--wait', '--wait-timeout', '300', s),
  ),
  compose('exec', '-T', 'loadbalancer', 'nginx', '-t', '-q', '-c', '/etc/nginx/bindplane/nginx.conf'),
  compose('kill', '-s', 'HUP', 'loadbalancer'),
];
/** The image's bindplane CLI in the jobs instance, as the day-2 script runs it. */
const bp = (...args: string[]) => compose('exec', '-T', 'bindplane-jobs', 'bindplane', '--remote-url', 'http://127.0.0.1:3001', ...args);
/** Every service of the compose file but the demo agents (they start after the first start). */
const SERVICES = ['postgres', 'prometheus', 'transform-agent-1', 'bindplane-jobs', 'bindplane-1', 'bindplane-2', 'bindplane-3', 'loadbalancer'];
const START_CALLS = [
  compose('up', '-d', '--wait', ...SERVICES),
  bp('get', 'projects'),
  compose('up', '-d', '--wait'),
  compose('exec', '-T', 'loadbalancer', 'nginx', '-t', '-q', '-c', '/etc/nginx/bindplane/nginx.conf'),
  compose('kill', '-s', 'HUP', 'loadbalancer'),
  compose('up', '-d', '--wait', '--remove-orphans'),
];

describe('Makefile (tls none)', () => {
  let dir: string;
  const covered = new Set<string>();

  beforeAll(async () => {
    dir = await generateStack({});
  });

  it('defines exactly the targets this suite runs', () => {
    expect(targets(dir)).toEqual([
      'apply',
      'backup',
      'delete',
      'doctor',
      'help',
      'license',
      'logs',
      'restart',
      'restart-all',
      'restore',
      'rotate-secret',
      'start',
      'status',
      'stop',
      'upgrade',
    ]);
  });

  it('`make` alone prints the help and calls nothing', () => {
    const r = makeIn(dir, []);
    const help = makeIn(dir, ['help']);
    covered.add('help');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(help.stdout);
    for (const t of ['start', 'stop', 'restart', 'status', 'logs', 'delete']) expect(r.stdout).toMatch(new RegExp(`^  ${t} +\\S`, 'm'));
    expect(r.stdout).not.toMatch(/^ {2}license\b/m);
    expect(r.calls).toEqual([]);
  });

  it('start without a license fails with a clear message and calls nothing', () => {
    expect(readFileSync(path.join(dir, '.env'), 'utf8')).not.toMatch(/^BINDPLANE_LICENSE=./m);
    const r = makeIn(dir, ['start']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/BINDPLANE_LICENSE is not set/);
    expect(r.calls).toEqual([]);
    const lic = makeIn(dir, ['license']);
    covered.add('license');
    expect(lic.status).not.toBe(0);
    expect(lic.calls).toEqual([]);
    // An empty value counts as missing.
    const empty = makeIn(dir, ['start'], { env: { BINDPLANE_LICENSE: '' } });
    expect(empty.status).not.toBe(0);
    expect(empty.calls).toEqual([]);
  });

  it('start with the license exported runs `docker compose up -d --wait`, reloads nginx, then removes services no longer in the file', () => {
    const r = makeIn(dir, ['start'], { env: { BINDPLANE_LICENSE: 'test-license' } });
    covered.add('start');
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual(START_CALLS);
    expect(r.stdout).toMatch(/Bindplane: http:\/\/localhost:3001 \(user admin/);
    expect(makeIn(dir, ['license'], { env: { BINDPLANE_LICENSE: 'x' } }).status).toBe(0);
    // The project's key went to .env (mode 0600), and nowhere else.
    expect(readFileSync(path.join(dir, '.env'), 'utf8')).toMatch(/^PROJECT_SECRET_KEY=fake-project-key$/m);
    expect(statSync(path.join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain('fake-project-key');
  });

  it('apply sends each resources/*.yaml to the CLI on its standard input, in the order of the names', () => {
    covered.add('apply');
    const none = makeIn(dir, ['apply']);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/no resources\/ folder: nothing to apply/);
    expect(none.calls).toEqual([]);
    const copy = tempDir('bpd-make-');
    mustRun('cp', ['-a', `${dir}/.`, copy]);
    mustRun('mkdir', [path.join(copy, 'resources')]);
    for (const f of ['20-b.yaml', '10-a.yml', 'README.md']) writeFileSync(path.join(copy, 'resources', f), `# ${f}\n`);
    const r = makeIn(copy, ['apply']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual([bp('apply', '-f', '-'), bp('apply', '-f', '-')]);
    expect(r.stdout).toMatch(/Configuration fake created/);
  });

  it('start with the license in .env works too', () => {
    const copy = tempDir('bpd-make-');
    mustRun('cp', ['-a', `${dir}/.`, copy]);
    appendFileSync(path.join(copy, '.env'), 'BINDPLANE_LICENSE=from-dotenv\n');
    const r = makeIn(copy, ['start']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual(START_CALLS);
  });

  it('stop, status and logs need no license; restart does (starting again may recreate containers)', () => {
    covered.add('restart');
    const noLicense = makeIn(dir, ['restart']);
    expect(noLicense.status).not.toBe(0);
    expect(noLicense.stderr).toMatch(/BINDPLANE_LICENSE is not set/);
    expect(noLicense.calls).toEqual([]);
    const licensed = makeIn(dir, ['restart'], { env: { BINDPLANE_LICENSE: 'x' } });
    expect(licensed.calls).toEqual(ROLLING_CALLS);
    const expected: Record<string, string[][]> = {
      stop: [compose('stop')],
      status: [compose('ps'), bp('get', 'agents')],
      logs: [compose('logs', '-f', '--tail=200')],
    };
    for (const [target, calls] of Object.entries(expected)) {
      const r = makeIn(dir, [target]);
      covered.add(target);
      expect(r.status, `${target}: ${r.stderr}`).toBe(0);
      expect(r.calls, target).toEqual(calls);
    }
    const one = makeIn(dir, ['logs', 'SERVICE=bindplane-1']);
    expect(one.calls).toEqual([compose('logs', '-f', '--tail=200', 'bindplane-1')]);
  });

  it('delete without CONFIRM and without a terminal says what it removes and removes nothing', () => {
    const r = makeIn(dir, ['delete']);
    covered.add('delete');
    // No answer at all (no terminal): nothing deleted, and not a success.
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Nothing was deleted \(no answer; make delete CONFIRM=yes deletes without asking\)/);
    expect(r.stdout).toMatch(/removes the containers, networks and volumes of bindplane/);
    expect(r.stdout).toMatch(/database/);
    expect(r.calls).toEqual([]);
  });

  it('delete asks: anything but yes keeps everything, yes removes', () => {
    const no = makeIn(dir, ['delete'], { input: 'no\n' });
    expect(no.status).toBe(0);
    expect(no.stdout).toMatch(/Type yes to delete: Nothing was deleted\./);
    expect(no.calls).toEqual([]);
    const yes = makeIn(dir, ['delete'], { input: 'yes\n' });
    expect(yes.status, yes.stderr).toBe(0);
    expect(yes.calls).toEqual([compose('down', '--volumes', '--remove-orphans')]);
  });

  it('delete CONFIRM=yes removes without asking, and without a license', () => {
    const r = makeIn(dir, ['delete', 'CONFIRM=yes']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/Type yes/);
    expect(r.calls).toEqual([compose('down', '--volumes', '--remove-orphans')]);
  });

  it('delete: CONFIRM=yes, COMPOSE_PROJECT_NAME and COMPOSE_FILE in the environment aim nothing elsewhere; only CONFIRM=yes on the command line confirms', () => {
    const env = { COMPOSE_PROJECT_NAME: 'other', COMPOSE_FILE: 'other.yml', CONFIRM: 'yes' };
    const asked = makeIn(dir, ['delete'], { env });
    expect(asked.status).not.toBe(0);
    expect(asked.stderr).toMatch(/Nothing was deleted \(no answer/);
    expect(asked.calls).toEqual([]);
    // The script alone, with CONFIRM=yes exported to it, asks as well: only --yes answers for you.
    const script = run('sh', ['scripts/stack.sh', 'delete'], {
      cwd: dir,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, DOCKER_LOG: path.join(dir, '.docker-calls'), ...env },
    });
    expect(script.status).not.toBe(0);
    expect(script.stderr).toMatch(/Nothing was deleted/);
    writeFileSync(path.join(dir, 'y.dump'), 'PGDMP and more');
    const restoreAsked = makeIn(dir, ['restore', 'FILE=y.dump'], { env: { ...env, BINDPLANE_LICENSE: 'x' }, input: 'no\n' });
    expect(restoreAsked.stdout).toMatch(/Type yes to restore: Nothing was restored\./);
    expect(restoreAsked.calls.filter((c) => subcommand(c) === 'stop')).toEqual([]);
    const yes = makeIn(dir, ['delete', 'CONFIRM=yes'], { env });
    expect(yes.status, yes.stderr).toBe(0);
    expect(yes.calls).toEqual([compose('down', '--volumes', '--remove-orphans')]);
    // Anything but yes on the command line asks too.
    expect(makeIn(dir, ['delete', 'CONFIRM=YES'], { env }).calls).toEqual([]);
  });

  it('every Compose call of every target names the project and docker-compose.yml, whatever the environment exports', () => {
    const env = { COMPOSE_PROJECT_NAME: 'other', COMPOSE_FILE: 'other.yml', BINDPLANE_LICENSE: 'x' };
    const targetsRun = ['start', 'stop', 'restart', 'restart-all', 'upgrade', 'backup', 'status', 'logs', 'doctor', 'apply'];
    let seen = 0;
    for (const t of targetsRun) {
      for (const c of makeIn(dir, [t], { env }).allCalls.filter((call) => call[0] === 'compose')) {
        // `compose version` asks the plugin its release: it aims at no project.
        if (c[1] === 'version') continue;
        expect(c.slice(0, 1 + STACK.length), `${t}: ${c.join(' ')}`).toEqual(['compose', ...STACK]);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(20);
  });

  it('restart of a stopped stack starts it in order instead of replacing processes one by one', () => {
    const r = makeIn(dir, ['restart'], { env: { BINDPLANE_LICENSE: 'x', FAKE_STOPPED: '1' } });
    expect(r.stdout).toContain('postgres is not running: starting the whole stack in order instead');
    expect(r.calls).toEqual([
      compose('ps', '-q', '--status', 'running', 'postgres'),
      compose('up', '-d', '--wait', '--wait-timeout', '300'),
      compose('exec', '-T', 'loadbalancer', 'nginx', '-t', '-q', '-c', '/etc/nginx/bindplane/nginx.conf'),
      compose('kill', '-s', 'HUP', 'loadbalancer'),
    ]);
  });

  it('restart-all stops everything and starts it again in order', () => {
    covered.add('restart-all');
    expect(makeIn(dir, ['restart-all'], { env: { BINDPLANE_LICENSE: 'x' } }).calls).toEqual([compose('stop'), compose('up', '-d', '--wait')]);
  });

  it('upgrade backs up, then replaces the jobs instance first and each node after it', () => {
    covered.add('upgrade');
    const r = makeIn(dir, ['upgrade'], { env: { BINDPLANE_LICENSE: 'x' } });
    expect(r.status, r.stderr).toBe(0);
    const replaced = r.calls.filter((c) => c.includes('--force-recreate')).map((c) => c.at(-1));
    expect(replaced).toEqual(['bindplane-jobs', 'transform-agent-1', 'bindplane-1', 'bindplane-2', 'bindplane-3']);
    const dump = r.calls.findIndex((c) => c.includes('pg_dump'));
    expect(dump).toBeGreaterThan(-1);
    expect(dump).toBeLessThan(r.calls.findIndex((c) => c.includes('--force-recreate')));
    expect(r.calls.filter((c) => subcommand(c) === 'kill').at(-1)).toEqual(compose('kill', '-s', 'HUP', 'loadbalancer'));
    expect(r.calls.findIndex((c) => subcommand(c) === 'kill')).toBeGreaterThan(r.calls.findLastIndex((c) => c.includes('--force-recreate')));
    expect(makeIn(dir, ['upgrade']).calls).toEqual([]);
  });

  it('backup dumps in custom format into a 0600 file under backups/', () => {
    covered.add('backup');
    const r = makeIn(dir, ['backup']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls).toEqual([compose('exec', '-T', 'postgres', 'pg_dump', '-U', 'bindplane', '-d', 'bindplane', '--format=custom')]);
    const file = /backup: (backups\/bindplane-\d{8}T\d{6}Z\.dump)/.exec(r.stdout)![1]!;
    expect(statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\/backups\/$/m);
  });

  it('restore refuses a missing or foreign file before anything else, and asks first', () => {
    covered.add('restore');
    const none = makeIn(dir, ['restore'], { env: { BINDPLANE_LICENSE: 'x' } });
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/Which dump\? make restore FILE=backups/);
    writeFileSync(path.join(dir, 'x.dump'), 'not a dump');
    const foreign = makeIn(dir, ['restore', 'FILE=x.dump', 'CONFIRM=yes'], { env: { BINDPLANE_LICENSE: 'x' } });
    expect(foreign.status).not.toBe(0);
    expect(foreign.stderr).toMatch(/x.dump is not a PostgreSQL custom-format dump .*nothing was changed/);
    expect(foreign.calls).toEqual([]);
    writeFileSync(path.join(dir, 'y.dump'), 'PGDMP and more');
    const asked = makeIn(dir, ['restore', 'FILE=y.dump'], { env: { BINDPLANE_LICENSE: 'x' }, input: 'no\n' });
    expect(asked.status, asked.stderr).toBe(0);
    expect(asked.stdout).toMatch(/Type yes to restore: Nothing was restored\./);
    expect(asked.calls).toEqual([compose('ps', '-q', '--status', 'running', 'postgres'), compose('exec', '-T', 'postgres', 'pg_restore', '--list')]);
    const yes = makeIn(dir, ['restore', 'FILE=y.dump', 'CONFIRM=yes'], { env: { BINDPLANE_LICENSE: 'x' } });
    expect(yes.calls.map((c) => c.slice(0, 3 + STACK.length))).toEqual([
      compose('ps', '-q'),
      compose('exec', '-T'),
      compose('stop', 'bindplane-jobs'),
      compose('exec', '-T'),
      compose('up', '-d'),
    ]);
    // Stopped PostgreSQL: refused before anything else.
    const stopped = makeIn(dir, ['restore', 'FILE=y.dump', 'CONFIRM=yes'], { env: { BINDPLANE_LICENSE: 'x', FAKE_STOPPED: '1' } });
    expect(stopped.status).not.toBe(0);
    expect(stopped.stderr).toMatch(/PostgreSQL is not running: start it .*nothing was changed/);
    expect(stopped.calls).toEqual([compose('ps', '-q', '--status', 'running', 'postgres')]);
  });

  it('doctor reports each check and exits non-zero when one fails', () => {
    covered.add('doctor');
    const r = makeIn(dir, ['doctor']);
    expect(r.status).not.toBe(0);
    // The stand-in docker prints no Compose version and no license is set.
    expect(r.stdout).toMatch(/^FAIL {2}Compose v2 is missing$/m);
    expect(r.stdout).toMatch(/^FAIL {2}the Bindplane license is not set$/m);
    expect(r.stdout).toMatch(/^ {6}fix: add BINDPLANE_LICENSE=/m);
    expect(r.stdout).toMatch(/^ok {4}\.env has mode 600$/m);
    expect(r.stdout).toMatch(/^doctor: \d+ problem\(s\)$/m);
  });

  it('rotate-secret names the secrets it takes and runs the generator', () => {
    covered.add('rotate-secret');
    const none = makeIn(dir, ['rotate-secret']);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toMatch(/Which secret\? make rotate-secret NAME=BINDPLANE_SESSION_SECRET\|POSTGRES_PASSWORD/);
    const r = makeIn(dir, ['rotate-secret', 'NAME=BINDPLANE_SESSION_SECRET', 'GENERATOR=echo generator']);
    expect(r.stdout).toContain('generator . --rotate-secret BINDPLANE_SESSION_SECRET');
  });

  /** Values that would run `touch marker` if a recipe pasted them into its command. */
  const hostile = (marker: string) => [
    `x; touch ${marker}`,
    `x' ; touch ${marker} ; '`,
    `x" ; touch ${marker} ; "`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `$(shell touch ${marker})`,
  ];

  it('rotate-secret: make checks NAME against the rotatable secrets before any command, from the command line or the environment', () => {
    const marker = path.join(dir, 'pwned');
    // A stand-in generator that leaves a file behind when it runs.
    const stand = path.join(dir, 'generator.sh');
    writeFileSync(stand, `touch ${path.join(dir, 'generator-ran')}\n`);
    const generator = `GENERATOR=sh ${stand}`;
    for (const value of [...hostile(marker), 'BINDPLANE_PASSWORD', 'BINDPLANE_SESSION_SECRET POSTGRES_PASSWORD']) {
      for (const r of [makeIn(dir, ['rotate-secret', `NAME=${value}`, generator]), makeIn(dir, ['rotate-secret', generator], { env: { NAME: value } })]) {
        expect(r.status, value).toBe(2);
        expect(r.stderr, value).toMatch(/NAME is not a secret make rotate-secret takes: give one of BINDPLANE_SESSION_SECRET, POSTGRES_PASSWORD/);
        expect(existsSync(marker), value).toBe(false);
        expect(existsSync(path.join(dir, 'generator-ran')), value).toBe(false);
        expect(r.calls).toEqual([]);
      }
    }
    const ok = makeIn(dir, ['rotate-secret', generator], { env: { NAME: 'POSTGRES_PASSWORD' } });
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'generator-ran'))).toBe(true);
  });

  it('restore and logs: FILE and SERVICE reach the script as one word each, never as command text', () => {
    const marker = path.join(dir, 'pwned');
    for (const value of hostile(marker)) {
      for (const r of [
        makeIn(dir, ['restore', `FILE=${value}`, 'CONFIRM=yes'], { env: { BINDPLANE_LICENSE: 'x' } }),
        makeIn(dir, ['restore', 'CONFIRM=yes'], { env: { BINDPLANE_LICENSE: 'x', FILE: value } }),
      ]) {
        expect(r.status, value).not.toBe(0);
        // The script got the value as it was typed: the file of that name does not exist.
        expect(r.stderr, value).toContain(`${value} does not exist`);
        expect(r.calls).toEqual([]);
      }
      for (const r of [makeIn(dir, ['logs', `SERVICE=${value}`]), makeIn(dir, ['logs'], { env: { SERVICE: value } })]) {
        expect(r.status, value).toBe(0);
        expect(r.calls, value).toEqual([compose('logs', '-f', '--tail=200', value)]);
      }
      expect(existsSync(marker), value).toBe(false);
    }
  });

  it('ran every target', () => {
    expect([...covered].sort()).toEqual(targets(dir));
  });
});

describe('Makefile with tls=selfSigned', () => {
  let dir: string;
  const cert = () => path.join(dir, 'local/tls/tls.crt');
  const key = () => path.join(dir, 'local/tls/tls.key');

  beforeAll(async () => {
    dir = await generateStack({ tls: 'selfSigned' });
  });

  it('defines a certs target besides the usual ones, and lists it in the help', () => {
    expect(targets(dir)).toEqual([
      'apply',
      'backup',
      'certs',
      'delete',
      'doctor',
      'help',
      'license',
      'logs',
      'restart',
      'restart-all',
      'restore',
      'rotate-secret',
      'start',
      'status',
      'stop',
      'upgrade',
    ]);
    expect(makeIn(dir, []).stdout).toMatch(/^ {2}certs +\S/m);
  });

  it('start without a license makes no certificate and calls nothing', () => {
    const r = makeIn(dir, ['start']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/BINDPLANE_LICENSE is not set/);
    expect(existsSync(cert())).toBe(false);
    expect(r.calls).toEqual([]);
  });

  it('start makes the certificate with the generated script before calling compose', () => {
    const r = makeIn(dir, ['start'], { env: { BINDPLANE_LICENSE: 'test-license' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sh scripts\/tls-self-signed\.sh local\/tls/);
    expect(r.calls).toEqual(START_CALLS);
    expect(r.certAtCall).toEqual(START_CALLS.map(() => true));
    // A real certificate for the names agents and browsers use, with a private key only the owner reads.
    const text = mustRun('openssl', ['x509', '-in', cert(), '-noout', '-subject', '-ext', 'subjectAltName,basicConstraints,extendedKeyUsage']);
    expect(text).toMatch(/subject=CN = localhost/);
    for (const n of ['DNS:localhost', 'DNS:loadbalancer', 'IP Address:127.0.0.1']) expect(text).toContain(n);
    expect(text).toMatch(/CA:FALSE/);
    expect(text).toMatch(/TLS Web Server Authentication/);
    expect(statSync(key()).mode & 0o777).toBe(0o600);
    const pub = (args: string[]) => mustRun('openssl', args);
    expect(pub(['x509', '-in', cert(), '-noout', '-pubkey'])).toBe(pub(['pkey', '-in', key(), '-pubout']));
    expect(mustRun('openssl', ['x509', '-in', cert(), '-noout', '-checkend', String(30 * 24 * 3600)])).toMatch(/will not expire/);
  });

  it('a second start keeps the certificate', () => {
    const before = readFileSync(cert(), 'utf8');
    const mtime = statSync(cert()).mtimeMs;
    const r = makeIn(dir, ['start'], { env: { BINDPLANE_LICENSE: 'test-license' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/tls-self-signed/);
    expect(readFileSync(cert(), 'utf8')).toBe(before);
    expect(statSync(cert()).mtimeMs).toBe(mtime);
    expect(r.calls).toEqual(START_CALLS);
  });

  it('certs alone makes the certificate without a license and calls nothing', () => {
    const fresh = tempDir('bpd-make-');
    mustRun('cp', ['-a', `${dir}/.`, fresh]);
    mustRun('rm', ['-rf', path.join(fresh, 'local')]);
    const r = makeIn(fresh, ['certs']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(fresh, 'local/tls/tls.crt'))).toBe(true);
    expect(r.calls).toEqual([]);
  });

  it('stop, restart, status, logs and delete behave as without TLS', () => {
    const expected: [string[], string[][]][] = [
      [['stop'], [compose('stop')]],
      [['restart'], ROLLING_CALLS],
      [['status'], [compose('ps'), bp('get', 'agents')]],
      [['logs'], [compose('logs', '-f', '--tail=200')]],
      [['delete'], []],
      [['delete', 'CONFIRM=yes'], [compose('down', '--volumes', '--remove-orphans')]],
    ];
    for (const [args, calls] of expected) expect(makeIn(dir, args, { env: { BINDPLANE_LICENSE: 'x' } }).calls, args.join(' ')).toEqual(calls);
  });
});

describe('Makefile with tls=provided', () => {
  let dir: string;
  let src: string;
  const tlsFile = (name: string) => path.join(dir, 'local/tls', name);

  beforeAll(async () => {
    // A certificate and key of the user's own, made with openssl outside the stack.
    src = tempDir('bpd-provided-');
    mustRun('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=bindplane.example.com',
      '-keyout',
      path.join(src, 'key.pem'),
      '-out',
      path.join(src, 'cert.pem'),
    ]);
    dir = await generateStack({ tls: 'provided', tlsCertFile: path.join(src, 'cert.pem'), tlsKeyFile: path.join(src, 'key.pem') });
  });

  it('defines a certs target that checks the copies, and lists it in the help', () => {
    expect(targets(dir)).toEqual([
      'apply',
      'backup',
      'certs',
      'delete',
      'doctor',
      'help',
      'license',
      'logs',
      'restart',
      'restart-all',
      'restore',
      'rotate-secret',
      'start',
      'status',
      'stop',
      'upgrade',
    ]);
    expect(makeIn(dir, []).stdout).toMatch(/^ {2}certs +\S/m);
    // The generator copied the user's files, byte for byte, where compose mounts them from.
    expect(readFileSync(tlsFile('tls.crt'))).toEqual(readFileSync(path.join(src, 'cert.pem')));
    expect(readFileSync(tlsFile('tls.key'))).toEqual(readFileSync(path.join(src, 'key.pem')));
    expect(statSync(tlsFile('tls.key')).mode & 0o777, 'the key copy is private').toBe(0o600);
    const certs = makeIn(dir, ['certs']);
    expect(certs.status, certs.stderr).toBe(0);
    expect(certs.calls).toEqual([]);
  });

  it('start without a license fails before the certificate check and calls nothing', () => {
    const r = makeIn(dir, ['start']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/BINDPLANE_LICENSE is not set/);
    expect(r.calls).toEqual([]);
  });

  it('start with the license passes the certs check (the copies are in place) and then calls compose', () => {
    const before = readFileSync(tlsFile('tls.crt'));
    const r = makeIn(dir, ['start'], { env: { BINDPLANE_LICENSE: 'test-license' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/missing/);
    // Nothing makes a certificate here: the user's is used as it is.
    expect(r.stdout).not.toMatch(/tls-self-signed/);
    expect(readFileSync(tlsFile('tls.crt'))).toEqual(before);
    expect(r.calls).toEqual(START_CALLS);
    expect(r.certAtCall).toEqual(START_CALLS.map(() => true));
    expect(r.stdout).toMatch(/Bindplane: https:\/\/localhost:3001 /);
  });

  it('start with local/tls/tls.key removed fails with the generated message and calls nothing', () => {
    const copy = tempDir('bpd-make-');
    mustRun('cp', ['-a', `${dir}/.`, copy]);
    mustRun('rm', [path.join(copy, 'local/tls/tls.key')]);
    const r = makeIn(copy, ['start'], { env: { BINDPLANE_LICENSE: 'test-license' } });
    expect(r.status).not.toBe(0);
    // The message the Makefile's certs target prints, taken from the generated file.
    const message = /echo "(local\/tls\/[^"]*missing[^"]*)" >&2/.exec(readFileSync(path.join(copy, 'Makefile'), 'utf8'))?.[1];
    expect(message, 'the certs target has an error message').toBeDefined();
    expect(r.stderr).toContain(message!);
    expect(message).toMatch(/run the generator again/);
    expect(r.calls).toEqual([]);
    // certs alone says the same, and the other targets still work without the key.
    const certs = makeIn(copy, ['certs']);
    expect(certs.status).not.toBe(0);
    expect(certs.stderr).toContain(message!);
    expect(makeIn(copy, ['stop']).calls).toEqual([compose('stop')]);
  });
});
